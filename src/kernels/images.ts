import type { Matrix } from '../tensor/matrix.js';
import { forwardOp, opOutputCols } from './forward.js';
import type { ImageBatch } from './image-batch.js';
import type { ImageSource, Kernels } from './kernels.js';
import type { Op } from './ops.js';

/**
 * The chunked evaluation every backend runs, written once over the Kernels interface (the
 * fast backends on their own share of the set, in each thread).
 */

/**
 * Images per forward pass when scoring a set: big enough to amortise calls, small in memory.
 * Each image's arithmetic is the same whatever the chunk, so the counts do not depend on it.
 */
export const EVAL_CHUNK = 500;

/**
 * The most floats the ops' output buffers may hold together in a range evaluation: a convnet's
 * outputs come to tens of thousands of floats an image (SimpleConvNet's first is 30 x 24 x 24),
 * which at EVAL_CHUNK images would outgrow a worker thread's heap; wide nets get fewer images
 * per pass instead (the same numbers).
 */
const EVAL_FLOATS = 1 << 21;

/** Calls `f` on [start, end) cut into pieces of at most `chunk`, in order. */
export function forEachChunk(start: number, end: number, chunk: number, f: (s: number, e: number) => void): void {
  for (let s = start; s < end; s += chunk) f(s, Math.min(s + chunk, end));
}

/** Buffers a range evaluation reuses from call to call, by chunk size and op list. */
export type EvalScratch = Map<string, { x: ImageBatch; outs: Matrix[] }>;

/**
 * Correct classifications among images [start, end) of `images`, a chunk at a time, with
 * any backend's kernels. Each image's arithmetic depends on nothing but the image, so any
 * split of a set into ranges gives the same total.
 */
export function countCorrectRange(
  kernels: Kernels,
  ops: readonly Op[],
  images: ImageSource,
  start: number,
  end: number,
  scratch: EvalScratch = new Map(),
  chunk = EVAL_CHUNK,
): number {
  const set = images.set;
  const D = set.rows * set.cols;
  let floats = D; // per image: the dense input and every op's output
  for (let o = 0, cols = D; o < ops.length; o++) floats += cols = opOutputCols(ops[o], cols);
  chunk = Math.max(1, Math.min(chunk, Math.floor(EVAL_FLOATS / floats)));
  let correct = 0;
  forEachChunk(start, end, chunk, (s, e) => {
    const n = e - s;
    const key = `${n}:${ops.map((op) => op.kind).join(',')}`;
    let buf = scratch.get(key);
    if (buf === undefined || !fits(buf.outs, ops, D)) {
      buf = { x: kernels.allocImages(n, D), outs: [] }; // x: (n, 784)
      let cols = D;
      for (const op of ops) buf.outs.push(kernels.alloc(n, (cols = opOutputCols(op, cols)))); // out: (n, width of this op)
      scratch.set(key, buf);
    }
    kernels.sliceImages(buf.x, images, s);
    let h: Matrix | ImageBatch = buf.x;
    for (let o = 0; o < ops.length; o++) {
      forwardOp(kernels, ops[o], buf.outs[o], h);
      h = buf.outs[o];
    }
    correct += kernels.countCorrect(h as Matrix, set.labels.subarray(s, e));
  });
  return correct;
}

/** Whether buffers made for some ops still have the widths these ops produce. */
function fits(outs: readonly Matrix[], ops: readonly Op[], D: number): boolean {
  let cols = D;
  return ops.every((op, o) => outs[o].cols === (cols = opOutputCols(op, cols)));
}
