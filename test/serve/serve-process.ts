import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { collect, start, type Run } from '../support/run-cli.js';

/** A running `nn-train serve` (or `train --serve`) child and the URL it printed. */
export interface Served {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: { stdout: string; stderr: string };
  /** Ctrl-C (SIGINT by default), then the process's end. */
  stop(signal?: NodeJS.Signals): Promise<Run>;
}

/**
 * Starts the CLI with `args` and waits for its "Serving the page at URL" line on stderr;
 * rejects with what it printed if it ends first.
 */
export function serve(args: string[], env: Record<string, string> = {}): Promise<Served> {
  const child = start(args, env);
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d) => (output.stdout += d));
  const ended = collect(child);
  // With --json, also the serve record on stdout (the two pipes are read in no set order).
  const json = args.includes('--json');
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = /Serving the page at (http:\/\/\S+\/)/.exec(output.stderr);
      if (m === null || (json && !output.stdout.includes('"type":"serve"'))) return;
      child.stdout!.off('data', check);
      child.stderr!.off('data', check);
      resolve({
        child,
        url: m[1],
        output,
        stop(signal = 'SIGINT') {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return ended.then((r) => ({ ...r, stdout: output.stdout, stderr: output.stderr }));
        },
      });
    };
    child.stderr!.on('data', (d) => (output.stderr += d));
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    void ended.then((r) => reject(new Error(`exited with ${r.code} before serving: ${output.stderr}`)));
  });
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * One HTTP request with the path sent exactly as given (no normalising of `..` or
 * percent-escapes, as a browser would do), optionally with a body.
 */
export function request(url: string, path: string, options: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Answer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** POST a JSON body (or any text) to /api/predict. */
export function postPredict(url: string, body: string | Buffer): Promise<Answer> {
  return request(url, '/api/predict', { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
}
