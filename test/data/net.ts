import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MNIST_FILES } from '../helpers/mnist.js';

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
