import type { ImageSet } from '../data/dataset.js';
import type { Network } from '../network/network.js';
import type { Matrix } from '../tensor/matrix.js';
import { sliceBatch } from './batch.js';

/** Rows per forward pass when scoring a whole set: big enough to amortise calls, small in memory. */
export const EVAL_CHUNK = 1000;

/**
 * Accuracy of `net` over every image of `set`, a chunk at a time (book: network.accuracy on
 * the full train and test sets after each epoch).
 */
export function evaluate(net: Network, set: ImageSet, chunk = EVAL_CHUNK): number {
  let correct = 0;
  const buffers = new Map<number, { x: Matrix; t: Uint8Array }>();
  for (let start = 0; start < set.count; start += chunk) {
    const n = Math.min(chunk, set.count - start);
    let b = buffers.get(n);
    if (b === undefined) {
      b = { x: net.kernels.alloc(n, set.rows * set.cols), t: new Uint8Array(n) }; // x: (n, 784)
      buffers.set(n, b);
    }
    sliceBatch(b.x, b.t, set, start, n);
    correct += net.kernels.countCorrect(net.predict(b.x), b.t);
  }
  return set.count === 0 ? NaN : correct / set.count;
}
