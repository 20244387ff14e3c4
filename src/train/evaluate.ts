import type { ImageSet } from '../data/dataset.js';
import type { Kernels, Op, PendingCount } from '../kernels/kernels.js';
import { mapOpMatrices, opMatrices } from '../kernels/ops.js';
import type { Matrix } from '../tensor/matrix.js';
import type { Network } from '../network/network.js';

/**
 * Accuracy of `net` over every image of `set` (book: network.accuracy on the full train and
 * test sets after each epoch). The network goes to the kernels as its list of ops, and they
 * may split the set over threads.
 */
export function evaluate(net: Network, set: ImageSet): number {
  if (set.count === 0) return NaN;
  return net.kernels.countCorrectImages(forwardOps(net), net.kernels.loadImages(set)) / set.count;
}

/** The network as the kernels run it: each layer's op, in forward order. */
export function forwardOps(net: Network): Op[] {
  return net.forwardLayers.map((layer) => layer.op);
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
 * when the kernels have no threads to spare.
 *
 * Why: the book scores all 70,000 images after every epoch, and counting them on every thread
 * at once holds the steps up each time. Counted beside the steps instead, the steps meanwhile
 * run on one thread (with the same numbers), and the counts are the same as counted at once.
 */
export function startAccuracy(net: Network, train: ImageSet, test: ImageSet, copy: WeightCopy): EpochAccuracy | null {
  const frozen = copy.of(forwardOps(net));
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

/** Copies of a network's weights, made once and refreshed for each count. */
export class WeightCopy {
  private ops: Op[] | null = null;

  constructor(private readonly kernels: Kernels) {}

  /** `ops` with every weight matrix replaced by a copy of its present values. */
  of(ops: readonly Op[]): Op[] {
    this.ops ??= ops.map((op) => mapOpMatrices(op, (m: Matrix) => this.kernels.alloc(m.rows, m.cols)) as Op);
    ops.forEach((op, k) => {
      const copies = opMatrices(this.ops![k]);
      opMatrices(op).forEach((m, j) => copies[j].data.set(m.data));
    });
    return this.ops;
  }
}
