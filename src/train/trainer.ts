import type { Dataset, ImageSet } from '../data/dataset.js';
import type { ImageSource } from '../kernels/kernels.js';
import type { ImageBatch } from '../kernels/kernels.js';
import type { Network } from '../network/network.js';
import { accuracyNow, startAccuracy, WeightCopy, type EpochAccuracy } from './evaluate.js';
import type { Optimizer } from './optimizers/optimizer.js';
import type { Rng } from '../tensor/rng.js';

/** What a training run is told; the CLI builds it from the validated config. */
export interface TrainOptions {
  iterations: number; // total SGD steps (the book: 10,000)
  batchSize: number; // the book: 100
  iterPerEpoch: number; // max(trainSize / batchSize, 1), as the book
  signal?: AbortSignal; // Ctrl-C: stop after the current step
  evalSamples?: number; // per-epoch accuracies on the first N images of each set (the book's evaluate_sample_num_per_epoch); unset: all
}

/** How many images each accuracy counted. */
export interface EvalCounts {
  train: number;
  test: number;
}

/** The trainer reports through these events and never prints (nanoGPT's rule). */
export type TrainEvent =
  | { type: 'start'; iterations: number; iterPerEpoch: number; epochs: number; batchSize: number }
  | { type: 'step'; iteration: number; loss: number }
  | {
      type: 'epoch';
      epoch: number;
      iteration: number;
      loss: number; // mean training loss over this epoch's steps
      trainAcc: number;
      testAcc: number;
      evalSamples: EvalCounts; // images the two accuracies counted
      seconds: number; // wall time since the previous epoch's event (or the start)
      elapsedSeconds: number;
    }
  | { type: 'evaluating'; epoch: number } // the steps wait for this epoch's accuracies
  | { type: 'done'; summary: TrainSummary };

export interface TrainSummary {
  iterations: number; // steps actually taken
  epochs: number; // evaluations made
  interrupted: boolean;
  finalLoss: number;
  finalTrainAcc: number;
  finalTestAcc: number;
  evalSamples: EvalCounts; // images finalTrainAcc and finalTestAcc counted: the full sets, unless stopped early
  bestTestAcc: number; // of the epochs' accuracies
  bestEpoch: number;
  seconds: number;
  imagesPerSecond: number; // training images through forward + backward per second
}

/** What a step draws its batch from and fills: made once per training run. */
interface Batch {
  readonly images: ImageSource; // the training set as the kernels keep it
  readonly labels: Uint8Array; // labels: (count)
  readonly count: number;
  readonly x: ImageBatch; // x: (batchSize, 784), images by reference
  readonly t: Uint8Array; // t: (batchSize)
  readonly indices: Int32Array; // indices: (batchSize)
}

/**
 * One step of mini-batch SGD: batchSize images drawn at random (with replacement), their
 * gradient by backprop, the update. Returns the batch's loss before the update (what
 * gradient()'s forward pass computed).
 *
 * A function of its own so that V8 optimizes it once and keeps it: inside train()'s loop it
 * was thrown back to unoptimized code with train() each time one of train()'s other branches
 * ran for the first time (the first evaluations; node --trace-deopt showed four such bailouts).
 */
function sgdStep(net: Network, optimizer: Optimizer, rng: Rng, batch: Batch): number {
  const { x, t, indices, labels } = batch;
  rng.choice(batch.count, indices);
  net.kernels.gatherImages(x, batch.images, indices);
  for (let k = 0; k < t.length; k++) t[k] = labels[indices[k]];
  optimizer.update(net.params, net.gradient(x, t));
  return net.lastLoss;
}

/** The first `n` images of a set (the set itself when n is unset or covers it). */
export function firstImages(set: ImageSet, n: number | undefined): ImageSet {
  if (n === undefined || n >= set.count) return set;
  const D = set.rows * set.cols;
  return { ...set, count: n, images: set.images.subarray(0, n * D), labels: set.labels.subarray(0, n) };
}

export function epochCount(iterations: number, iterPerEpoch: number): number {
  return Math.ceil(iterations / iterPerEpoch);
}

/**
 * Mini-batch SGD as train_neuralnet.py does it: each step draws batchSize indices at random
 * (with replacement), takes the gradient by backprop and updates. After every iterPerEpoch
 * steps, and after the last step, it scores the full train and test sets (where the kernels
 * have a thread to spare, beside the next epoch's steps: see startAccuracy).
 *
 * Async only so that Ctrl-C and spinners get a turn: it yields to the event loop every
 * 50 ms, which costs nothing measurable.
 */
export async function train(
  net: Network,
  optimizer: Optimizer,
  data: Dataset,
  rng: Rng,
  options: TrainOptions,
  emit: (event: TrainEvent) => void,
): Promise<TrainSummary> {
  const { iterations, batchSize, iterPerEpoch } = options;
  // The sets the epochs are scored on: the first evalSamples images of each, or all of them.
  const evalTrain = firstImages(data.train, options.evalSamples);
  const evalTest = firstImages(data.test, options.evalSamples);
  const evalSamples = { train: evalTrain.count, test: evalTest.count };
  const D = data.train.rows * data.train.cols;
  // The kernels fill x from the images their way (the fast ones as lists of nonzero pixels,
  // made once per set here), so a step converts no pixels and allocates nothing.
  const batch: Batch = {
    images: net.kernels.loadImages(data.train),
    labels: data.train.labels,
    count: data.train.count,
    x: net.kernels.allocImages(batchSize, D), // x: (batchSize, 784)
    t: new Uint8Array(batchSize), // t: (batchSize)
    indices: new Int32Array(batchSize),
  };
  net.kernels.loadImages(data.test);
  const epochs = epochCount(iterations, iterPerEpoch);
  emit({ type: 'start', iterations, iterPerEpoch, epochs, batchSize });

  const started = performance.now();
  let epochStarted = started;
  let lastYield = started;
  let epochLoss = 0;
  let epochSteps = 0;
  let epoch = 0;
  let lastLoss = NaN;
  let final = { loss: NaN, trainAcc: NaN, testAcc: NaN };
  let best = { testAcc: -1, epoch: 0 };
  let done = 0;

  // An epoch ended, its accuracies still being counted (on the kernels' other threads, from a
  // copy of the weights: see startAccuracy) while the next epoch's steps go on.
  let scoring: { epoch: number; iteration: number; loss: number; accuracy: EpochAccuracy } | null = null;
  const weights = new WeightCopy(net.kernels);
  const report = (): void => {
    const { epoch, iteration, loss, accuracy } = scoring!;
    scoring = null;
    const { trainAcc, testAcc } = accuracy.take();
    const now = performance.now();
    emit({ type: 'epoch', epoch, iteration, loss, trainAcc, testAcc, evalSamples, seconds: (now - epochStarted) / 1000, elapsedSeconds: (now - started) / 1000 });
    final = { loss, trainAcc, testAcc };
    if (testAcc > best.testAcc) best = { testAcc, epoch };
    epochStarted = now;
  };

  for (let i = 1; i <= iterations; i++) {
    lastLoss = sgdStep(net, optimizer, rng, batch);
    epochLoss += lastLoss;
    epochSteps++;
    done = i;
    emit({ type: 'step', iteration: i, loss: lastLoss });
    if (scoring?.accuracy.ready()) report();

    if (i % iterPerEpoch === 0 || i === iterations) {
      epoch++;
      if (scoring !== null) report(); // the previous epoch's, if it is still being counted
      const loss = epochLoss / epochSteps;
      epochLoss = 0;
      epochSteps = 0;
      // The last epoch's accuracies are counted at once, on every thread: no steps are left.
      let accuracy = i < iterations ? startAccuracy(net, evalTrain, evalTest, weights) : null;
      if (accuracy === null) {
        emit({ type: 'evaluating', epoch });
        accuracy = accuracyNow(net, evalTrain, evalTest);
      }
      scoring = { epoch, iteration: i, loss, accuracy };
      if (accuracy.ready()) report();
    }

    if (performance.now() - lastYield > 50) {
      await new Promise((resolve) => setImmediate(resolve));
      lastYield = performance.now();
    }
    if (options.signal?.aborted) break;
  }

  if (scoring !== null) report(); // stopped (Ctrl-C) while an epoch's accuracies were being counted
  // The final accuracies count every image, whatever the epochs counted.
  // (Not after Ctrl-C, which should stop soon: the summary then says what the last epoch counted.)
  let finalCounts = evalSamples;
  const partial = evalTrain !== data.train || evalTest !== data.test;
  if (partial && epoch > 0 && !options.signal?.aborted) {
    emit({ type: 'evaluating', epoch });
    final = { ...final, ...accuracyNow(net, data.train, data.test).take() };
    finalCounts = { train: data.train.count, test: data.test.count };
  }
  const seconds = (performance.now() - started) / 1000;
  const summary: TrainSummary = {
    iterations: done,
    epochs: epoch,
    interrupted: done < iterations,
    finalLoss: Number.isNaN(final.loss) ? lastLoss : final.loss,
    finalTrainAcc: final.trainAcc,
    finalTestAcc: final.testAcc,
    evalSamples: finalCounts,
    bestTestAcc: best.testAcc < 0 ? NaN : best.testAcc,
    bestEpoch: best.epoch,
    seconds,
    imagesPerSecond: (done * batchSize) / seconds,
  };
  emit({ type: 'done', summary });
  return summary;
}
