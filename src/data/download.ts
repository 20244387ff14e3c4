import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, unlinkSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NnTrainError, RuntimeFailure, UsageError } from '../errors.js';

/**
 * The only network code in the project. One file at a time: try each mirror in order, stream
 * the bytes into a temporary file in the target folder while hashing them, compare the MD5
 * with the known one, and only then rename the file into place. An interrupted, cut-short or
 * corrupt download therefore never poisons the cache: the final name only ever holds a file
 * whose checksum was right.
 */

export interface RemoteFile {
  readonly name: string; // e.g. train-images-idx3-ubyte.gz, as the mirrors name it
  readonly md5: string; // of the file as served (the .gz)
}

export type DownloadEvent =
  | { type: 'download-start'; file: string; url: string; totalBytes?: number }
  | { type: 'download-progress'; file: string; receivedBytes: number; totalBytes?: number }
  | { type: 'download-done'; file: string; bytes: number; md5: string };

export interface DownloadOptions {
  /** Base URLs (http:, https: or file:), tried in order. */
  readonly mirrors: readonly string[];
  /** Give up on a mirror after this long with no data (connecting or mid-body). */
  readonly timeoutMs: number;
  readonly onEvent?: (e: DownloadEvent) => void;
}

export interface Downloaded {
  readonly file: string;
  readonly path: string;
  readonly bytes: number;
  readonly md5: string;
  readonly url: string;
}

/**
 * Every mirror failed. `unreachable` is true when each failure looked like having no network
 * at all (connection refused, DNS, unreachable network, timeout): only then may a caller fall
 * back to the bundled data; an HTTP 404 or a broken transfer is a real error.
 */
export class DownloadError extends RuntimeFailure {
  constructor(
    message: string,
    readonly unreachable: boolean,
  ) {
    super(message);
  }
}

/** The bytes arrived but are not the known file. Never a reason to try elsewhere or fall back. */
export class ChecksumError extends RuntimeFailure {}

export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Checks a mirror given by the user and makes it a base URL ending in '/'. `label` names
 * where it came from (`--mirror`, `NN_TRAIN_MIRROR`) so the error points at it.
 */
export function normalizeMirror(raw: string, label = 'mirror'): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${label} must be an http, https or file URL, got ${JSON.stringify(raw)}`);
  }
  if (!['http:', 'https:', 'file:'].includes(url.protocol)) {
    throw new UsageError(`${label} must be an http, https or file URL, got ${JSON.stringify(raw)}`);
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.href;
}

const MD5_SLICE = 1 << 20;

/**
 * The MD5 of the bytes, hashed a megabyte at a time with the event loop running between: a
 * gunzip started before needs this thread to hand zlib its next input (src/data/gunzip.ts);
 * hashed in one go, the 10 MB of training images would keep zlib idle all that time.
 */
export async function md5HexInSlices(bytes: Uint8Array): Promise<string> {
  const hash = createHash('md5');
  for (let at = 0; at < bytes.length; at += MD5_SLICE) {
    if (at > 0) await new Promise((resolve) => setImmediate(resolve));
    hash.update(bytes.subarray(at, at + MD5_SLICE));
  }
  return hash.digest('hex');
}

// Temporary files still on disk, removed even if the process exits mid-download.
const liveTemps = new Set<string>();
let exitHookInstalled = false;
function trackTemp(file: string): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const f of liveTemps) {
        try {
          unlinkSync(f);
        } catch {
          // already gone
        }
      }
    });
  }
  liveTemps.add(file);
}

async function removeTemp(file: string): Promise<void> {
  liveTemps.delete(file);
  await rm(file, { force: true });
}

/** Why an attempt was abandoned; a tagged abort reason survives fetch (it rejects with it). */
class Abandoned extends Error {
  constructor(readonly why: 'timeout' | 'interrupted') {
    super(why);
  }
}

interface Failure {
  readonly url: string;
  readonly reason: string;
  readonly unreachable: boolean;
}

const UNREACHABLE_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found (DNS lookup failed)',
  EAI_AGAIN: 'DNS lookup failed (EAI_AGAIN)',
  ENETUNREACH: 'network unreachable',
  EHOSTUNREACH: 'host unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  ECONNRESET: 'connection reset',
};

/** Turns fetch's `TypeError('fetch failed')` (reason in `cause`) into a few readable words. */
export function describeFetchError(err: unknown, timeoutMs: number, beforeResponse: boolean): { reason: string; unreachable: boolean } {
  if (err instanceof Abandoned && err.why === 'timeout') {
    return { reason: `timed out after ${formatSeconds(timeoutMs)} with no data`, unreachable: true };
  }
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (err as { code?: string })?.code;
  if (code && code in UNREACHABLE_CODES) {
    // A reset after the response began is a broken transfer, not a missing network.
    return { reason: UNREACHABLE_CODES[code], unreachable: beforeResponse || code !== 'ECONNRESET' };
  }
  if (code === 'UND_ERR_SOCKET' || (err instanceof TypeError && err.message === 'terminated')) {
    return { reason: 'the connection closed before the file was complete', unreachable: false };
  }
  if (code === 'ENOENT') return { reason: 'file not found', unreachable: false };
  if (code === 'EACCES') return { reason: 'permission denied', unreachable: false };
  const detail = cause?.message ?? (err instanceof Error ? err.message : String(err));
  if (/redirect count exceeded/i.test(detail)) return { reason: 'too many redirects', unreachable: false };
  // The Fetch standard blocks some ports (e.g. 9, 25, 6000) outright.
  if (detail === 'bad port') return { reason: 'fetch refuses to connect to this port (a blocked "bad port")', unreachable: false };
  return { reason: code ? `${detail} (${code})` : detail, unreachable: false };
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}

/**
 * Downloads `file` into `dir` (created if needed) from the first mirror that serves it, checked
 * against its MD5. Throws ChecksumError on a wrong checksum (at once: a mirror serving other
 * bytes is not a glitch to route around), DownloadError when no mirror served it, and an
 * NnTrainError with exit code 130 on Ctrl-C. Leaves no temporary file behind on any path.
 */
export async function downloadFile(file: RemoteFile, dir: string, opts: DownloadOptions): Promise<Downloaded> {
  if (opts.mirrors.length === 0) throw new UsageError(`no mirror to download ${file.name} from`);
  await mkdir(dir, { recursive: true });
  const failures: Failure[] = [];
  for (const mirror of opts.mirrors) {
    const url = new URL(file.name, mirror.endsWith('/') ? mirror : `${mirror}/`).href;
    const result = await attempt(file, dir, url, opts);
    if ('failure' in result) {
      failures.push(result.failure);
      continue;
    }
    return result;
  }
  const list = failures.map((f) => `${f.url}: ${f.reason}`).join('; ');
  throw new DownloadError(`could not download ${file.name}: ${list}`, failures.every((f) => f.unreachable));
}

async function attempt(file: RemoteFile, dir: string, url: string, opts: DownloadOptions): Promise<Downloaded | { failure: Failure }> {
  const tmp = path.join(dir, `.${file.name}.${process.pid}.${randomBytes(4).toString('hex')}.partial`);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Abandoned('timeout')), opts.timeoutMs);
  // Ctrl-C (or a kill) mid-download: abort, clean up below, and report exit 130.
  const onSignal = () => controller.abort(new Abandoned('interrupted'));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let responded = false;
  trackTemp(tmp);
  try {
    const { body, totalBytes } = await openSource(url, controller.signal);
    responded = true;
    opts.onEvent?.({ type: 'download-start', file: file.name, url, totalBytes });
    const hash = createHash('md5');
    let received = 0;
    const fh = await open(tmp, 'wx');
    try {
      for await (const chunk of body) {
        if (controller.signal.aborted) throw controller.signal.reason;
        timer.refresh();
        hash.update(chunk);
        for (let off = 0; off < chunk.length; ) off += (await fh.write(chunk, off)).bytesWritten;
        received += chunk.length;
        opts.onEvent?.({ type: 'download-progress', file: file.name, receivedBytes: received, totalBytes });
      }
      if (controller.signal.aborted) throw controller.signal.reason;
    } finally {
      await fh.close();
    }
    const md5 = hash.digest('hex');
    if (md5 !== file.md5) {
      throw new ChecksumError(
        `${file.name}: checksum mismatch from ${url}: expected md5 ${file.md5}, got ${md5} (${received} bytes); nothing was saved`,
      );
    }
    const dest = path.join(dir, file.name);
    await rename(tmp, dest);
    liveTemps.delete(tmp);
    opts.onEvent?.({ type: 'download-done', file: file.name, bytes: received, md5 });
    return { file: file.name, path: dest, bytes: received, md5, url };
  } catch (caught) {
    await removeTemp(tmp);
    // A file stream aborts with its own AbortError; the signal's reason says why we aborted.
    const err: unknown = controller.signal.aborted && !(caught instanceof ChecksumError) ? controller.signal.reason : caught;
    if (err instanceof ChecksumError || err instanceof UsageError) throw err;
    if (err instanceof Abandoned && err.why === 'interrupted') {
      throw new NnTrainError(`interrupted while downloading ${file.name}; nothing partial was kept`, 130);
    }
    if (err instanceof HttpStatus) return { failure: { url, reason: err.message, unreachable: false } };
    return { failure: { url, ...describeFetchError(err, opts.timeoutMs, !responded) } };
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

class HttpStatus extends Error {}

/** The bytes behind a URL as an async stream: fetch for http(s), the file system for file: (fetch has no file:). */
async function openSource(url: string, signal: AbortSignal): Promise<{ body: AsyncIterable<Uint8Array>; totalBytes?: number }> {
  if (url.startsWith('file:')) {
    const stream = createReadStream(fileURLToPath(url), { signal });
    // Surface ENOENT before we report a start.
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    return { body: stream as AsyncIterable<Uint8Array> };
  }
  const res = await fetch(url, { signal, redirect: 'follow' });
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    const moved = res.redirected ? ` (redirected to ${res.url})` : '';
    throw new HttpStatus(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${moved}`);
  }
  const length = Number(res.headers.get('content-length'));
  return {
    body: res.body as unknown as AsyncIterable<Uint8Array>,
    totalBytes: Number.isFinite(length) && length > 0 ? length : undefined,
  };
}
