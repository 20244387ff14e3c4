import type { ImageSet } from '../data/dataset.js';
import type { Matrix } from '../tensor/matrix.js';
import type { ForwardOp, ImageSource, Kernels } from './kernels.js';

/**
 * The image side of the kernels, written once over the Kernels interface: the dense copy
 * the reference makes of a batch, and the chunked evaluation every backend runs (the fast
 * ones on their own share of the set, in each thread).
 */

/** Rows per forward pass when scoring a set: big enough to amortise calls, small in memory. */
export const EVAL_CHUNK = 500;

export function checkImagesShape(what: string, x: Matrix, set: ImageSet, rows: number): void {
  const D = set.rows * set.cols;
  if (x.cols !== D || x.rows !== rows) {
    throw new RangeError(`${what}: expected shape (${rows}, ${D}), got (${x.rows}, ${x.cols})`);
  }
}

/** x (N, D) = images[indices] / 255, densely (the book's normalize=True). */
export function gatherDense(x: Matrix, set: ImageSet, indices: Int32Array): void {
  checkImagesShape('gatherImages', x, set, indices.length);
  const D = set.rows * set.cols;
  const images = set.images;
  const out = x.data;
  for (let i = 0; i < indices.length; i++) {
    const idx = indices[i];
    if (!(idx >= 0 && idx < set.count)) throw new RangeError(`gatherImages: index ${idx} outside [0, ${set.count})`);
    for (let k = 0, src = idx * D, dst = i * D; k < D; k++) out[dst + k] = images[src + k] / 255;
  }
}

/** x (N, D) = images[start .. start + N) / 255, densely. */
export function sliceDense(x: Matrix, set: ImageSet, start: number): void {
  checkSliceRange(set, start, x.rows);
  checkImagesShape('sliceImages', x, set, x.rows);
  const images = set.images;
  const out = x.data;
  for (let k = 0, n = out.length, src = start * x.cols; k < n; k++) out[k] = images[src + k] / 255;
}

export function checkSliceRange(set: ImageSet, start: number, rows: number): void {
  if (!(Number.isInteger(start) && start >= 0 && start + rows <= set.count)) {
    throw new RangeError(`sliceImages: rows [${start}, ${start + rows}) outside [0, ${set.count})`);
  }
}

/** Buffers a range evaluation reuses from call to call, by chunk size. */
export type EvalScratch = Map<string, { x: Matrix; outs: Matrix[] }>;

/**
 * Correct classifications among images [start, end) of `images`, a chunk at a time, with
 * any backend's kernels. Each image's arithmetic depends on nothing but the image, so any
 * split of a set into ranges gives the same total.
 */
export function countCorrectRange(
  kernels: Kernels,
  ops: readonly ForwardOp[],
  images: ImageSource,
  start: number,
  end: number,
  scratch: EvalScratch = new Map(),
  chunk = EVAL_CHUNK,
): number {
  const set = images.set;
  const D = set.rows * set.cols;
  let correct = 0;
  for (let s = start; s < end; s += chunk) {
    const n = Math.min(chunk, end - s);
    const key = `${n}:${ops.map((op) => (op.kind === 'affine' ? op.W.cols : op.kind)).join(',')}`;
    let buf = scratch.get(key);
    if (buf === undefined) {
      buf = { x: kernels.allocImages(n, D), outs: [] }; // x: (n, 784)
      let width = D;
      for (const op of ops) {
        if (op.kind === 'affine') width = op.W.cols;
        buf.outs.push(kernels.alloc(n, width)); // out: (n, width of this op)
      }
      scratch.set(key, buf);
    }
    kernels.sliceImages(buf.x, images, s);
    let h = buf.x;
    for (let o = 0; o < ops.length; o++) {
      const op = ops[o];
      const out = buf.outs[o];
      if (op.kind === 'affine') kernels.affineForward(out, h, op.W, op.b);
      else if (op.kind === 'relu') kernels.reluForward(out, h);
      else kernels.sigmoidForward(out, h);
      h = out;
    }
    correct += kernels.countCorrect(h, set.labels.subarray(s, s + n));
  }
  return correct;
}

/** Throws unless the stack's widths chain from the image size. */
export function checkForwardOps(ops: readonly ForwardOp[], set: ImageSet): void {
  let width = set.rows * set.cols;
  for (const op of ops) {
    if (op.kind !== 'affine') continue;
    if (op.W.rows !== width) throw new RangeError(`countCorrectImages: an affine op takes ${op.W.rows} inputs, gets ${width}`);
    width = op.W.cols;
  }
}
