import type { ImageSet } from '../data/dataset.js';
import { pixelValue } from '../tensor/pixel.js';
import type { Matrix } from '../tensor/matrix.js';

/**
 * Copies the images at `indices` into x as floats in [0, 1] (the book's normalize=True:
 * pixel / 255) and their labels into t. x and t are allocated once by the caller and
 * reused every step, so the training loop allocates nothing.
 */
export function gatherBatch(x: Matrix, t: Uint8Array, set: ImageSet, indices: Int32Array, count = indices.length): void {
  const D = set.rows * set.cols;
  if (x.cols !== D || x.rows < count || t.length < count) {
    throw new RangeError(`gatherBatch: buffers (${x.rows}, ${x.cols}) / ${t.length} too small for ${count} images of ${D}`);
  }
  for (let i = 0; i < count; i++) {
    const src = indices[i] * D;
    const dst = i * D;
    for (let k = 0; k < D; k++) x.data[dst + k] = pixelValue(set.images[src + k]);
    t[i] = set.labels[indices[i]];
  }
}

/** Copies images [start, start + count) into x (and their labels into t), as gatherBatch. */
export function sliceBatch(x: Matrix, t: Uint8Array, set: ImageSet, start: number, count: number): void {
  const D = set.rows * set.cols;
  if (x.cols !== D || x.rows !== count || t.length !== count) {
    throw new RangeError(`sliceBatch: buffers (${x.rows}, ${x.cols}) / ${t.length} do not fit ${count} images of ${D}`);
  }
  const images = set.images;
  for (let k = 0, n = count * D, src = start * D; k < n; k++) x.data[k] = pixelValue(images[src + k]);
  t.set(set.labels.subarray(start, start + count));
}
