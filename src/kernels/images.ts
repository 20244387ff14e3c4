import type { Matrix } from '../tensor/matrix.js';
import { forwardOp, opOutputCols } from './forward.js';
import { firstConvReluPool } from './fusion.js';
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

/** A step of the forward pass: ops [first, first + count) into one output `cols` wide. */
interface EvalStep {
  first: number;
  count: number; // 1, or 3 for a fused first block
  cols: number;
}

/** The ops as evaluation runs them: a fused first block (./fusion.ts) as one step, then each op. */
function evalSteps(ops: readonly Op[], D: number): EvalStep[] {
  const steps: EvalStep[] = [];
  const fused = firstConvReluPool(ops) !== null;
  let cols = D;
  for (let o = 0; o < ops.length; ) {
    const count = o === 0 && fused ? 3 : 1;
    for (let k = o; k < o + count; k++) cols = opOutputCols(ops[k], cols);
    steps.push({ first: o, count, cols });
    o += count;
  }
  return steps;
}

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
  const steps = evalSteps(ops, D);
  const floats = steps.reduce((sum, step) => sum + step.cols, D); // per image: the dense input and every step's output
  chunk = Math.max(1, Math.min(chunk, Math.floor(EVAL_FLOATS / floats)));
  let correct = 0;
  forEachChunk(start, end, chunk, (s, e) => {
    const n = e - s;
    const key = `${n}:${ops.map((op) => op.kind).join(',')}`;
    let buf = scratch.get(key);
    if (buf === undefined || !fits(buf.outs, steps)) {
      buf = { x: kernels.allocImages(n, D), outs: steps.map((step) => kernels.alloc(n, step.cols)) }; // x: (n, 784); outs: (n, width of each step)
      scratch.set(key, buf);
    }
    kernels.sliceImages(buf.x, images, s);
    let h: Matrix | ImageBatch = buf.x;
    for (let k = 0; k < steps.length; k++) {
      const { first, count } = steps[k];
      if (count === 1) forwardOp(kernels, ops[first], buf.outs[k], h);
      else {
        const { conv, pool } = firstConvReluPool(ops)!;
        kernels.convReluPoolForward(buf.outs[k], null, h, conv.W, conv.b, conv.shape, pool.shape);
      }
      h = buf.outs[k];
    }
    correct += kernels.countCorrect(h as Matrix, set.labels.subarray(s, e));
  });
  return correct;
}

/** Whether buffers made for some ops still have the widths their steps produce. */
function fits(outs: readonly Matrix[], steps: readonly EvalStep[]): boolean {
  return outs.length === steps.length && steps.every((step, k) => outs[k].cols === step.cols);
}
