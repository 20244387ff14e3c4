import type { Dataset, ImageSet } from '../data/dataset.js';
import type { ImageSource } from '../kernels/kernels.js';
import type { ImageBatch } from '../kernels/kernels.js';
import type { Network } from '../network/network.js';
import { accuracyNow, evaluate, startAccuracy, WeightCopy, type EpochAccuracy } from './evaluate.js';
import { accuracyOf, confusionOf, type ConfusionMatrix } from './confusion.js';
import type { Optimizer } from './optimizers/optimizer.js';
import type { Rng } from '../tensor/rng.js';

/** What a training run is told; the CLI builds it from the validated config. */
export interface TrainOptions {
  iterations: number; // total SGD steps (the book: 10,000), counting those of the run resumed
  batchSize: number; // the book: 100
  iterPerEpoch: number; // max(trainSize / batchSize, 1), as the book
  signal?: AbortSignal; // Ctrl-C: stop after the current step
  /**
   * Held-out training images (book 6.5.1): when given, each epoch scores them (valAcc) instead
   * of the test set (testAcc NaN), and the test set is scored once, after the last step.
   */
  validation?: ImageSet | null;
  /** With a validation set: false leaves the test set unscored even at the end (a search's trials). */
  scoreTestAtEnd?: boolean;
  /** Where to start: a checkpoint's progress (the net, optimizer and rng restored to match). */
  from?: TrainProgress;
  /**
   * Called after each epoch's record and once more when the run ends or is stopped, with the
   * weights, the optimizer's and the rng's state all at `progress.iteration` (a checkpoint).
   */
  onCheckpoint?: (progress: Readonly<TrainProgress>) => void;
  evalSamples?: number; // per-epoch accuracies on the first N images of each set (the book's evaluate_sample_num_per_epoch); unset: all
}

/** How many images each accuracy counted (`test`: of the validation set when there is one). */
export interface EvalCounts {
  train: number;
  test: number;
}

/** The trainer reports through these events and never prints (nanoGPT's rule). */
export type TrainEvent =
  | { type: 'start'; iterations: number; iterPerEpoch: number; epochs: number; batchSize: number }
  | { type: 'step'; iteration: number; loss: number }
  | EpochEvent
  | { type: 'evaluating'; epoch: number } // the steps wait for this epoch's accuracies
  // The first epoch's mean loss is not below the first step's: the learning rate is likely too large.
  | { type: 'warning'; code: 'loss-not-falling'; firstLoss: number; epochLoss: number }
  | { type: 'done'; summary: TrainSummary };

export interface EpochEvent {
  type: 'epoch';
  epoch: number;
  iteration: number;
  loss: number; // mean training loss over this epoch's steps
  trainAcc: number;
  testAcc: number; // NaN when a validation set is scored instead
  valAcc?: number; // only with a validation set
  evalSamples: EvalCounts; // images the two accuracies counted
  seconds: number; // wall time since the previous epoch's event (or the start)
  elapsedSeconds: number;
}

/**
 * Where a run stands between two steps, besides the weights and the optimizer's and rng's
 * state: what a checkpoint saves and what a resumed run starts from.
 */
export interface TrainProgress {
  iteration: number; // steps taken
  epoch: number; // epochs ended, each with its record in `records`
  epochLoss: number; // the sum of this epoch's step losses so far, for its mean
  epochSteps: number; // this epoch's steps so far
  firstLoss: number | null; // the run's first step's loss (null before it), for the warning
  seconds: number; // training time so far
  records: EpochEvent[];
}

export interface TrainSummary {
  iterations: number; // steps actually taken
  epochs: number; // evaluations made
  interrupted: boolean;
  finalLoss: number;
  finalTrainAcc: number;
  finalTestAcc: number;
  evalSamples: EvalCounts; // images finalTrainAcc and finalTestAcc (or finalValAcc) counted: the full sets, unless stopped early
  bestTestAcc: number; // NaN with a validation set: the test set is scored at the end only
  bestEpoch: number; // the epoch of the best per-epoch score: test, or validation when there is one
  finalValAcc: number; // NaN without a validation set
  bestValAcc: number; // NaN without a validation set
  seconds: number;
  imagesPerSecond: number; // training images through forward + backward per second
  testConfusion?: ConfusionMatrix; // the test set's after the last step, when the end counted it (not in the summary record)
}

/** The first epoch's steps needed before its mean loss is compared with the first step's. */
const STEPS_TO_JUDGE_THE_LOSS = 20;

/** Training stopped because a loss or a weight stopped being a finite number. */
export class Diverged extends Error {
  constructor(
    readonly iteration: number, // the step after which it was seen
    readonly what: 'loss' | 'weights',
    readonly value: number, // the loss, or the first bad weight
  ) {
    super(`training diverged at step ${iteration}: the ${what === 'loss' ? 'loss' : 'weights'} became ${value}`);
  }
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
 * Resuming is starting from a given state: options.from, with the net, optimizer and rng
 * restored to the same step, continues exactly as the run that was never stopped. A loss or
 * weight that becomes NaN or infinite throws Diverged at once (no checkpoint is taken after it).
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
  const { iterations, batchSize, iterPerEpoch, onCheckpoint } = options;
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
  const heldOut = options.validation ?? null;
  // What each epoch scores beside the training set: the validation set if there is one.
  const scored = heldOut ?? data.test;
  net.kernels.loadImages(scored);
  // The sets the epochs are scored on: the first evalSamples images of each, or all of them.
  const evalTrain = firstImages(data.train, options.evalSamples);
  const evalScored = firstImages(scored, options.evalSamples);
  const evalSamples = { train: evalTrain.count, test: evalScored.count };
  const epochs = epochCount(iterations, iterPerEpoch);
  emit({ type: 'start', iterations, iterPerEpoch, epochs, batchSize });

  // A fresh run starts from nothing; a resumed one where its checkpoint left off.
  const p: TrainProgress = options.from
    ? { ...options.from, records: [...options.from.records] }
    : { iteration: 0, epoch: 0, epochLoss: 0, epochSteps: 0, firstLoss: null, seconds: 0, records: [] };
  const startIteration = p.iteration;
  const started = performance.now() - p.seconds * 1000;
  let epochStarted = performance.now();
  let lastYield = epochStarted;
  let lastLoss = NaN;

  // An epoch ended, its accuracies still being counted (on the kernels' other threads, from a
  // copy of the weights: see startAccuracy) while the next epoch's steps go on.
  let scoring: { epoch: number; iteration: number; loss: number; accuracy: EpochAccuracy } | null = null;
  const weights = new WeightCopy(net.kernels);
  const report = (): void => {
    const { epoch, iteration, loss, accuracy } = scoring!;
    scoring = null;
    const { trainAcc, testAcc: scoredAcc } = accuracy.take();
    const now = performance.now();
    const seconds = (now - epochStarted) / 1000, elapsedSeconds = (now - started) / 1000;
    const e: EpochEvent = heldOut === null
      ? { type: 'epoch', epoch, iteration, loss, trainAcc, testAcc: scoredAcc, evalSamples, seconds, elapsedSeconds }
      : { type: 'epoch', epoch, iteration, loss, trainAcc, testAcc: NaN, valAcc: scoredAcc, evalSamples, seconds, elapsedSeconds };
    p.records.push(e);
    emit(e);
    // A learning rate too large shows at once: the first epoch ends no lower than it started.
    // An epoch of a few steps (300 images at batch 100: 3) moves the loss less than its noise.
    if (epoch === 1 && iteration >= STEPS_TO_JUDGE_THE_LOSS && !(loss < p.firstLoss!)) emit({ type: 'warning', code: 'loss-not-falling', firstLoss: p.firstLoss!, epochLoss: loss });
    epochStarted = now;
    checkpointDue = onCheckpoint !== undefined;
  };
  // A checkpoint is due after each epoch's record. It is taken only when no epoch is being
  // scored, so that its records, counters and weights all describe the same step.
  let checkpointDue = false;
  let savedAt = p.iteration;
  const checkpoint = (): void => {
    requireFiniteWeights(net, p.iteration);
    p.seconds = (performance.now() - started) / 1000;
    checkpointDue = false;
    savedAt = p.iteration;
    onCheckpoint!(p);
  };

  for (let i = p.iteration + 1; i <= iterations; i++) {
    lastLoss = sgdStep(net, optimizer, rng, batch);
    // NaN weights make a NaN loss within a step, so the loss is the one check every step needs.
    if (!Number.isFinite(lastLoss)) throw new Diverged(i, 'loss', lastLoss);
    p.firstLoss ??= lastLoss;
    p.epochLoss += lastLoss;
    p.epochSteps++;
    p.iteration = i;
    emit({ type: 'step', iteration: i, loss: lastLoss });
    if (scoring?.accuracy.ready()) report();

    if (i % iterPerEpoch === 0 || i === iterations) {
      if (scoring !== null) report(); // the previous epoch's, if it is still being counted
      requireFiniteWeights(net, i);
      p.epoch++;
      const loss = p.epochLoss / p.epochSteps;
      p.epochLoss = 0;
      p.epochSteps = 0;
      // The last epoch's accuracies are counted at once, on every thread: no steps are left.
      let accuracy = i < iterations ? startAccuracy(net, evalTrain, evalScored, weights) : null;
      if (accuracy === null) {
        emit({ type: 'evaluating', epoch: p.epoch });
        accuracy = accuracyNow(net, evalTrain, evalScored);
      }
      scoring = { epoch: p.epoch, iteration: i, loss, accuracy };
      if (accuracy.ready()) report();
    }
    if (checkpointDue && scoring === null) checkpoint();

    if (performance.now() - lastYield > 50) {
      await new Promise((resolve) => setImmediate(resolve));
      lastYield = performance.now();
    }
    if (options.signal?.aborted) break;
  }

  if (scoring !== null) report(); // stopped (Ctrl-C) while an epoch's accuracies were being counted
  if (onCheckpoint !== undefined && (checkpointDue || savedAt !== p.iteration)) checkpoint(); // the end, or stopped mid-epoch
  const seconds = (performance.now() - started) / 1000;
  const last = p.records.length > 0 ? p.records[p.records.length - 1] : undefined;
  // The final accuracies count every image, whatever the epochs counted.
  // (Not after Ctrl-C, which should stop soon: the summary then says what the last epoch counted.)
  let final = last;
  let finalCounts = evalSamples;
  // The test set's predictions, when the end counts it: its accuracy and the confusion matrix
  // a caller shows come from one pass over it.
  let testConfusion: ConfusionMatrix | undefined;
  const testAccNow = (): number => {
    testConfusion = confusionOf(net, data.test, data.info.classes);
    return accuracyOf(testConfusion);
  };
  const partial = evalTrain !== data.train || evalScored !== scored;
  if (last !== undefined && partial && !options.signal?.aborted) {
    emit({ type: 'evaluating', epoch: p.epoch });
    if (heldOut === null) final = { ...last, trainAcc: evaluate(net, data.train), testAcc: testAccNow() };
    else {
      const { trainAcc, testAcc: valAcc } = accuracyNow(net, data.train, heldOut).take();
      final = { ...last, trainAcc, valAcc };
    }
    finalCounts = { train: data.train.count, test: scored.count };
  }
  // The best epoch by what the epochs scored: the test set, or the validation set if there is one.
  const score = (e: EpochEvent): number => e.valAcc ?? e.testAcc;
  const best = p.records.reduce<EpochEvent | undefined>((b, e) => (score(e) > (b === undefined ? -1 : score(b)) ? e : b), undefined);
  // With a validation set, the test set is scored once, at the end (book 6.5.1).
  const finalTestAcc = heldOut === null ? final?.testAcc ?? NaN : p.iteration > 0 && options.scoreTestAtEnd !== false ? testAccNow() : NaN;
  const summary: TrainSummary = {
    iterations: p.iteration,
    epochs: p.epoch,
    interrupted: p.iteration < iterations,
    finalLoss: final?.loss ?? lastLoss,
    finalTrainAcc: final?.trainAcc ?? NaN,
    finalTestAcc,
    evalSamples: finalCounts,
    bestTestAcc: heldOut === null ? best?.testAcc ?? NaN : NaN,
    bestEpoch: best?.epoch ?? 0,
    finalValAcc: final?.valAcc ?? NaN,
    bestValAcc: heldOut === null ? NaN : best?.valAcc ?? NaN,
    seconds,
    imagesPerSecond: ((p.iteration - startIteration) * batchSize) / (seconds - (options.from?.seconds ?? 0)),
    testConfusion,
  };
  emit({ type: 'done', summary });
  return summary;
}

/** Throws Diverged if any weight is NaN or infinite (checked at epoch ends and before a checkpoint). */
function requireFiniteWeights(net: Network, iteration: number): void {
  for (const m of Object.values(net.params)) {
    const data = m.data;
    for (let k = 0; k < data.length; k++) if (!Number.isFinite(data[k])) throw new Diverged(iteration, 'weights', data[k]);
  }
}
