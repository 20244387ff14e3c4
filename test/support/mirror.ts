import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { MNIST_DIR, MNIST_FILES } from './mnist.js';
import { startStaticServer, type StaticServer } from './static-server.js';

/** A 127.0.0.1 port that nothing listens on (bound, then released): connecting is refused. */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export function tempDir(prefix = 'nn-data-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Fresh temporary folders for one test file: call the result for each; all go after its tests. */
export function scratchDirs(prefix?: string): () => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = tempDir(prefix);
    dirs.push(d);
    return d;
  };
}

/**
 * The real MNIST folder served on 127.0.0.1 as a mirror, for the enclosing describe: started
 * before its tests, its faults cleared after each test, closed after the last.
 */
export function mnistMirror(): { readonly server: StaticServer } {
  let server: StaticServer | undefined;
  beforeAll(async () => {
    server = await startStaticServer(MNIST_DIR);
  });
  afterEach(() => {
    if (server) server.faults = {};
  });
  afterAll(async () => {
    await server?.close();
  });
  return {
    get server(): StaticServer {
      if (!server) throw new Error('the MNIST mirror is not started yet (use it inside a test)');
      return server;
    },
  };
}

/**
 * What a cache folder holds, checked: no temporary (.partial) file, and every MNIST file
 * in it has its canonical MD5. Returns the names, sorted, for the test to compare.
 */
export function cleanCache(dir: string): string[] {
  const names = readdirSync(dir).sort();
  for (const n of names) {
    if (n.endsWith('.partial') || n.startsWith('.')) throw new Error(`${dir} holds a temporary file ${n}`);
    const md5 = createHash('md5').update(readFileSync(path.join(dir, n))).digest('hex');
    const want = MNIST_FILES[n as keyof typeof MNIST_FILES];
    if (want && md5 !== want) throw new Error(`${dir}/${n} has md5 ${md5}, not ${want}`);
  }
  return names;
}

export function histogram(labels: Uint8Array, classes = 10): number[] {
  const h = new Array<number>(classes).fill(0);
  for (const l of labels) h[l]++;
  return h;
}

/** MNIST's label histograms (train 60,000, test 10,000). */
export const MNIST_TRAIN_HIST = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
export const MNIST_TEST_HIST = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];
