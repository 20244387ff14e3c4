import { spawn } from 'node:child_process';
import type { ServeOptionValues } from '../../config.js';
import { toJsonLine } from '../../report/records.js';
import type { PageSession } from '../../serve/page-session.js';
import { isLoopback, startPageServer, type PageServer } from '../../serve/server.js';
import { writeErr, writeOut } from '../output.js';

/**
 * Starts the page's server for `session` and says where it is: one line on stderr, and with
 * --json a `serve` record on stdout. Shared by `serve` and `train --serve`.
 */
export async function startPage(session: PageSession, opts: ServeOptionValues & { json: boolean }, extra: Record<string, unknown> = {}): Promise<PageServer> {
  if (!isLoopback(opts.host)) {
    writeErr(`warning: --host ${opts.host}: the page (and the model and data it shows) can be reached from other machines, without a password`);
  }
  const server = await startPageServer(session, opts);
  writeErr(`Serving the page at ${server.url} (Ctrl-C to stop)`);
  if (opts.json) writeOut(toJsonLine({ type: 'serve', url: server.url, host: server.host, port: server.port, ...extra }));
  if (opts.open) openInBrowser(server.url);
  return server;
}

/** The system's way to open a URL; a failure is a warning, the server goes on. */
function openInBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  const warn = (why: string) => writeErr(`warning: --open: could not start ${command} (${why}); open ${url} yourself`);
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', (err: NodeJS.ErrnoException) => warn(err.code ?? err.message));
    child.on('exit', (code) => {
      if (code !== 0 && code !== null) warn(`exit code ${code}`);
    });
    child.unref();
  } catch (err) {
    warn((err as Error).message);
  }
}

/** Resolves when `signal` aborts (the first Ctrl-C, from signals.ts's handler). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
