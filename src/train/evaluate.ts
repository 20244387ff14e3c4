import type { ImageSet } from '../data/dataset.js';
import type { ForwardOp, Kernels, PendingCount } from '../kernels/kernels.js';
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

/** An epoch's accuracies on the training and test sets, counted now or still being counted. */
export interface EpochAccuracy {
  /** Whether both are known (never waits). */
  ready(): boolean;
  /** Both, waiting for them if need be. */
  take(): { trainAcc: number; testAcc: number };
}

/** The accuracies of `net` as its weights are now, counted before returning. */
export function accuracyNow(net: Network, train: ImageSet, test: ImageSet): EpochAccuracy {
  const result = { trainAcc: evaluate(net, train), testAcc: evaluate(net, test) };
  return { ready: () => true, take: () => result };
}

/**
 * The accuracies of `net` as its weights are now, counted on the kernels' other threads from
 * a copy of the weights (`copy`, reused from epoch to epoch) while the caller trains on; null
 * when the kernels have no threads to spare or the network is not a plain stack.
 *
 * Why: the book scores all 70,000 images after every epoch, and on two threads that held the
 * steps up ~25 ms each time. Counted beside the steps instead, the steps meanwhile run on one
 * thread (with the same numbers), and the counts are the same as counted at once.
 */
export function startAccuracy(net: Network, train: ImageSet, test: ImageSet, copy: WeightCopy): EpochAccuracy | null {
  const ops = forwardOps(net);
  if (ops === null) return null;
  const frozen = copy.of(ops);
  const kernels = net.kernels;
  const trainCount = kernels.startCountCorrectImages(frozen, kernels.loadImages(train));
  if (trainCount === null) return null;
  let trainAcc = NaN;
  let testCount: PendingCount | null = null;
  // One set after the other: the test set's count starts once the training set's is taken
  // (and then the kernels have their threads to spare again).
  const testPending = (): PendingCount => {
    if (testCount === null) {
      trainAcc = trainCount.take() / train.count;
      testCount = kernels.startCountCorrectImages(frozen, kernels.loadImages(test))!;
    }
    return testCount;
  };
  return {
    ready: () => (testCount !== null || trainCount.ready()) && testPending().ready(),
    take: () => {
      const testAcc = testPending().take() / test.count;
      return { trainAcc, testAcc };
    },
  };
}

/** Copies of a network's affine weights, made once and refreshed for each count. */
export class WeightCopy {
  private ops: ForwardOp[] | null = null;

  constructor(private readonly kernels: Kernels) {}

  /** `ops` with every W and b replaced by a copy of its present values. */
  of(ops: readonly ForwardOp[]): ForwardOp[] {
    this.ops ??= ops.map((op) => (op.kind === 'affine' ? { kind: 'affine', W: this.kernels.alloc(op.W.rows, op.W.cols), b: this.kernels.alloc(1, op.b.cols) } : op));
    ops.forEach((op, k) => {
      const copy = this.ops![k];
      if (op.kind === 'affine' && copy.kind === 'affine') {
        copy.W.data.set(op.W.data);
        copy.b.data.set(op.b.data);
      }
    });
    return this.ops;
  }
}
