import type { ImageSet } from '../data/dataset.js';
import type { ForwardOp } from '../kernels/kernels.js';
import { Affine } from '../layers/affine.js';
import type { Layer } from '../layers/layer.js';
import { Relu } from '../layers/relu.js';
import { Sigmoid } from '../layers/sigmoid.js';
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
  if (set.count === 0) return NaN;
  // A plain Affine/Relu/Sigmoid stack goes to the kernels whole, which may split it over threads.
  const ops = forwardOps(net);
  if (ops !== null) return net.kernels.countCorrectImages(ops, net.kernels.loadImages(set)) / set.count;
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

/** The network's layers as kernel ops, or null if it has any other kind of layer. */
export function forwardOps(net: Network): ForwardOp[] | null {
  const layers = (net as { layers?: unknown }).layers;
  if (!(layers instanceof Map)) return null;
  const ops: ForwardOp[] = [];
  for (const layer of (layers as Map<string, Layer>).values()) {
    if (layer instanceof Affine) ops.push({ kind: 'affine', W: layer.params.W, b: layer.params.b });
    else if (layer instanceof Relu) ops.push({ kind: 'relu' });
    else if (layer instanceof Sigmoid) ops.push({ kind: 'sigmoid' });
    else return null;
  }
  return ops;
}
