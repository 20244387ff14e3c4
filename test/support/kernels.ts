import type { ImageSet } from '../../src/data/dataset.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import type { Matrix } from '../../src/tensor/matrix.js';
import { Rng } from '../../src/tensor/rng.js';

/** A matrix of the backend's own with N(0, scale) entries (a fraction `zeros` set to exactly 0). */
export function randomOf(k: Kernels, rng: Rng, rows: number, cols: number, scale = 1, zeros = 0): Matrix {
  const m = k.alloc(rows, cols);
  for (let i = 0; i < m.data.length; i++) m.data[i] = rng.uniform() < zeros ? 0 : scale * rng.normal();
  return m;
}

/** The same values in another backend's matrix. */
export function copyTo(k: Kernels, m: Matrix): Matrix {
  const c = k.alloc(m.rows, m.cols);
  c.data.set(m.data);
  return c;
}

/**
 * Asserts a ≈ b elementwise within float32 round-off of a sum of `terms` products of
 * magnitude about `scale`: |a - b| <= tol * (|b| + scale).
 */
export function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, scale = 1, what = ''): void {
  if (a.length !== b.length) throw new Error(`${what}: lengths ${a.length} and ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= tol * (Math.abs(b[i]) + scale))) {
      throw new Error(`${what}: element ${i} is ${a[i]}, expected ${b[i]} (difference ${d}, tolerance ${tol})`);
    }
  }
}

/**
 * A small image set with MNIST's look: mostly zero pixels, some images entirely zero,
 * and a pixel count (rows x cols) that is not a multiple of the SIMD width.
 */
export function syntheticImages(rng: Rng, count: number, rows: number, cols: number, classes = 10): ImageSet {
  const D = rows * cols;
  const images = new Uint8Array(count * D);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    labels[n] = rng.int(classes);
    if (n % 5 === 2) continue; // an all-zero image
    for (let k = 0; k < D; k++) if (rng.uniform() < 0.2) images[n * D + k] = 1 + rng.int(255);
    if (n % 7 === 3) images[n * D + D - 1] = 255; // the last pixel set: the list's last column
  }
  return { count, rows, cols, images, labels };
}
