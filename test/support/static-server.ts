import { readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';

/**
 * How one file misbehaves. Keys of `faults` are request paths without the leading slash
 * (`train-images-idx3-ubyte.gz`, or `moved/train-images-idx3-ubyte.gz` for a redirect target).
 */
export type Fault =
  /** Answer with this HTTP status and a short text body (404, 403, 500, ...). */
  | { kind: 'status'; status: number }
  /**
   * Send only the first `bytes` bytes (default: half). With `declareLength` (the default) the
   * Content-Length header promises the whole file and the socket is destroyed mid-body, as when
   * a connection drops; without it the response ends cleanly and only the checksum can tell.
   */
  | { kind: 'truncate'; bytes?: number; declareLength?: boolean }
  /** Send the whole file with `count` bytes (default 1) XOR-ed with 0xff from `offset`. */
  | { kind: 'flip'; offset?: number; count?: number }
  /** Send the headers (and `afterBytes` bytes of body, default 0), then nothing, forever. */
  | { kind: 'stall'; afterBytes?: number }
  /** Redirect (default 302) to `to`: a path on this server ("/moved/x") or an absolute URL. */
  | { kind: 'redirect'; to: string; status?: number };

export interface StaticServerOptions {
  faults?: Record<string, Fault>;
  /** Bytes per write; with `delayMs`, makes a download slow enough to watch progress. */
  chunkBytes?: number;
  delayMs?: number;
}

export interface StaticServer {
  /** Base URL ending in a slash, e.g. http://127.0.0.1:41234/ */
  readonly url: string;
  /** Every request as `METHOD /path`, in arrival order (to check what was downloaded). */
  readonly requests: string[];
  /** Change faults between runs (e.g. a 404 first, a healthy file next time). */
  faults: Record<string, Fault>;
  close(): Promise<void>;
}

/**
 * A plain static file server over node:http on 127.0.0.1 and a random port, serving the
 * files of one flat folder like a mirror does. A request is answered from the folder by the
 * last segment of its path, so `/any/prefix/file.gz` and a redirect to `/moved/file.gz` both
 * find `file.gz`. Per-file faults let tests rehearse what real mirrors do wrong.
 */
export async function startStaticServer(dir: string, options: StaticServerOptions = {}): Promise<StaticServer> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const cache = new Map<string, Buffer>();
  const timers = new Set<NodeJS.Timeout>();

  const read = (name: string): Buffer | undefined => {
    let buf = cache.get(name);
    if (buf) return buf;
    const file = path.join(dir, name);
    try {
      if (!statSync(file).isFile()) return undefined;
    } catch {
      return undefined;
    }
    buf = readFileSync(file);
    cache.set(name, buf);
    return buf;
  };

  const later = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const sendBody = async (res: http.ServerResponse, body: Buffer): Promise<void> => {
    const chunk = options.chunkBytes ?? body.length;
    for (let off = 0; off < body.length; off += chunk) {
      if (res.destroyed) return;
      res.write(body.subarray(off, Math.min(body.length, off + chunk)));
      if (options.delayMs) await later(options.delayMs);
    }
  };

  const server = http.createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    requests.push(`${req.method} ${pathname}`);
    const key = pathname.replace(/^\/+/, '');
    const fault = handle.faults[key];

    if (fault?.kind === 'status') {
      res.writeHead(fault.status, { 'content-type': 'text/plain' });
      res.end(`${fault.status} ${http.STATUS_CODES[fault.status] ?? ''}\n`);
      return;
    }
    if (fault?.kind === 'redirect') {
      res.writeHead(fault.status ?? 302, { location: fault.to });
      res.end();
      return;
    }

    const name = path.posix.basename(key);
    const body = name === '' || name.startsWith('.') ? undefined : read(name);
    if (!body) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404 Not Found\n');
      return;
    }
    const headers = { 'content-type': 'application/octet-stream', 'content-length': String(body.length) };
    if (req.method === 'HEAD') {
      res.writeHead(200, headers);
      res.end();
      return;
    }

    void (async () => {
      if (!fault) {
        res.writeHead(200, headers);
        await sendBody(res, body);
        res.end();
      } else if (fault.kind === 'flip') {
        const bad = Buffer.from(body);
        const at = fault.offset ?? Math.floor(body.length / 2);
        for (let i = at; i < Math.min(body.length, at + (fault.count ?? 1)); i++) bad[i] ^= 0xff;
        res.writeHead(200, headers);
        await sendBody(res, bad);
        res.end();
      } else if (fault.kind === 'truncate') {
        const part = body.subarray(0, fault.bytes ?? Math.floor(body.length / 2));
        if (fault.declareLength === false) {
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          await sendBody(res, part);
          res.end();
        } else {
          res.writeHead(200, headers);
          await sendBody(res, part);
          // Let the bytes leave before the connection drops, like a real broken download.
          await later(20);
          res.socket?.destroy();
        }
      } else if (fault.kind === 'stall') {
        res.writeHead(200, headers);
        if (fault.afterBytes) res.write(body.subarray(0, fault.afterBytes));
        res.flushHeaders();
        // Nothing more: the client must give up on its own; close() cuts the socket.
      }
    })();
  });

  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const handle: StaticServer = {
    url: `http://127.0.0.1:${port}/`,
    requests,
    faults: { ...(options.faults ?? {}) },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return handle;
}
