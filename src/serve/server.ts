import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { RuntimeFailure } from '../errors.js';
import { HttpError } from './http-body.js';
import { readPageAssets } from './page-files.js';
import type { PageSession } from './page-session.js';
import { pageRoutes, sendJson } from './routes.js';

export interface ListenOptions {
  readonly host: string; // 127.0.0.1 unless the user says otherwise
  readonly port: number; // 0: any free port
}

export interface PageServer {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /**
   * Whether the server (and the connections it has open) keep the process alive; at first
   * they do. `train --serve` turns this off while it trains, so that a run that fails ends
   * the process as it would without the page, and on again while it waits for Ctrl-C.
   */
  keepAlive(on: boolean): void;
  close(): Promise<void>;
}

/** Names that only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

// Every answer says: run only our own scripts, styles and connections (nothing from elsewhere
// could load even if a page asked), and never guess a type from the content.
const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/**
 * Starts the page's HTTP server for `session`. Resolves once it listens; a port in use or a
 * host it cannot bind becomes a one-line RuntimeFailure.
 */
export async function startPageServer(session: PageSession, options: ListenOptions): Promise<PageServer> {
  const routes = pageRoutes(session, readPageAssets());
  let port = options.port;
  const server = createServer((req, res) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof HttpError ? err.message : `internal error: ${(err as Error).message}`;
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // After a refused body the rest of it is not read: the connection closes with the answer.
      if (status === 413) res.setHeader('Connection', 'close');
      sendJson(res, status, { error: message });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // On this machine's own address, only requests for it: a web page elsewhere that made its
    // name resolve to 127.0.0.1 (DNS rebinding) sends its own name as Host and is refused.
    if (isLoopback(options.host) && !hostAllowed(req.headers.host, options.host, port)) throw new HttpError(403, 'Host must be this machine (127.0.0.1 or localhost)');
    const target = req.url ?? '';
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    // Paths are exact names from the route table: nothing is decoded, so %2e%2e, %2f and
    // ".." segments match no route and get the 404 every unknown path gets.
    const route = routes.get(path);
    if (route === undefined) throw new HttpError(404, 'not found');
    if (req.method !== route.method && !(route.method === 'GET' && req.method === 'HEAD')) {
      res.setHeader('Allow', route.method);
      throw new HttpError(405, `${req.method} is not allowed here; use ${route.method}`);
    }
    await route.handle(req, res, new URLSearchParams(q < 0 ? '' : target.slice(q + 1)));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, options)));
    server.listen(options.port, options.host, () => resolve());
  });
  server.on('error', () => {}); // (after listening, errors are per connection and handled there)
  let alive = true;
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (!alive) socket.unref();
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${bracketed(options.host)}:${port}/`,
    host: options.host,
    port,
    keepAlive(on) {
      alive = on;
      for (const handle of [server, ...sockets]) {
        if (on) handle.ref();
        else handle.unref();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        session.events.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The Host header names this machine as the server was told to listen on it, or its usual names. */
function hostAllowed(header: string | undefined, host: string, port: number): boolean {
  if (header === undefined) return false;
  return [bracketed(host), '127.0.0.1', 'localhost', '[::1]'].some((name) => header.toLowerCase() === `${name}:${port}`);
}

/** An IPv6 address in brackets, as in URLs and Host headers. */
function bracketed(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function listenError(err: NodeJS.ErrnoException, { host, port }: ListenOptions): RuntimeFailure {
  if (err.code === 'EADDRINUSE') return new RuntimeFailure(`--port ${port}: already in use on ${host}`);
  if (err.code === 'EACCES') return new RuntimeFailure(`--port ${port}: not allowed to listen on it (ports below 1024 need privileges)`);
  if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return new RuntimeFailure(`--host ${host}: not an address of this machine (${err.code})`);
  return new RuntimeFailure(`cannot listen on ${host}:${port}: ${err.code ?? err.message}`);
}
