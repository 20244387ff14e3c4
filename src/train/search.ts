import { Rng } from '../tensor/rng.js';

/**
 * The random search of the book's section 6.5.3 (hyperparameter_optimization.py): each trial
 * draws its hyperparameters log-uniformly from ranges (lr 10^U(-6, -2), weight decay
 * 10^U(-8, -4)), trains on the training images and is judged by its validation accuracy.
 *
 * Trial i's draws depend only on the search seed and i, never on which process ran which
 * trials before it: a search can be split over processes or machines (--shard) and its records
 * ranked together afterwards, with the same result as one process running them all.
 */

/** A hyperparameter's range: log-uniform between min and max, or fixed (min = max, `fixed`). */
export interface Range {
  readonly min: number;
  readonly max: number;
  readonly fixed: boolean;
  readonly text: string; // as the user wrote it, to hand on to child processes
}

/**
 * "1e-6:1e-2" (log-uniform; both bounds > 0, min <= max) or a plain number (fixed, must be
 * >= `least`). Throws a RangeError whose message follows the flag name (the caller adds the value).
 */
export function parseRange(text: string, least: { value: number; inclusive: boolean }): Range {
  const parts = text.split(':');
  const num = (s: string): number => {
    const v = s.trim() === '' ? NaN : Number(s);
    if (!Number.isFinite(v)) throw new RangeError('must be a number or a range min:max');
    return v;
  };
  if (parts.length === 1) {
    const v = num(parts[0]);
    if (least.inclusive ? v < least.value : v <= least.value) throw new RangeError(`must be ${least.inclusive ? '>=' : '>'} ${least.value}`);
    return { min: v, max: v, fixed: true, text };
  }
  if (parts.length !== 2) throw new RangeError('must be a number or a range min:max');
  const [min, max] = parts.map(num);
  if (!(min > 0 && max > 0)) throw new RangeError('range bounds must be > 0 (the range is log-uniform)');
  if (min > max) throw new RangeError('range min must be <= max');
  return { min, max, fixed: false, text };
}

/** A value in the range from a uniform u in [0, 1): 10^(log10 min + u (log10 max - log10 min)). */
export function drawFrom(range: Range, u: number): number {
  if (range.fixed || range.min === range.max) return range.min;
  const lo = Math.log10(range.min), hi = Math.log10(range.max);
  return 10 ** (lo + u * (hi - lo));
}

/** What a trial trains with: its own seed (weights, batches, masks) and its hyperparameters. */
export interface TrialDraw {
  index: number;
  seed: number;
  lr: number;
  weightDecay: number;
}

/**
 * Trial `index`'s seed and hyperparameters. One generator per trial, seeded by a hash of
 * (search seed, index); it draws seed, lr, weight decay in that order, a fixed value consuming
 * its draw too, so fixing one hyperparameter leaves the others' values as they were.
 */
export function drawTrial(searchSeed: number, index: number, ranges: { lr: Range; weightDecay: Range }): TrialDraw {
  const rng = new Rng(trialHash(searchSeed, index));
  const seed = rng.nextUint32();
  const lr = drawFrom(ranges.lr, rng.uniform());
  const weightDecay = drawFrom(ranges.weightDecay, rng.uniform());
  return { index, seed, lr, weightDecay };
}

/** A 32-bit mix of the two (murmur3's finalizer), so neighbouring trials get unrelated streams. */
function trialHash(seed: number, index: number): number {
  let z = (seed ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x7feb352d) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x846ca68b) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** Shard I of N (1-based): the trials with index % N == I - 1. */
export interface Shard {
  readonly index: number; // I, 1..N
  readonly count: number; // N
}

/** The trial indices (0-based) of `trials` that a shard runs, in order. */
export function shardIndices(trials: number, shard: Shard): number[] {
  const out: number[] = [];
  for (let i = shard.index - 1; i < trials; i += shard.count) out.push(i);
  return out;
}

/**
 * Shard `part` (1..P) of shard `shard`: the same trials split P ways, as a shard of its own
 * (index % (N P) == I - 1 + N (part - 1)). How a search hands its trials to P processes.
 */
export function subShard(shard: Shard, part: number, parts: number): Shard {
  return { index: shard.index + shard.count * (part - 1), count: shard.count * parts };
}

/** One epoch of a trial's curve. */
export interface TrialEpoch {
  epoch: number;
  loss: number; // mean training loss over the epoch (with the weight decay penalty)
  trainAcc: number;
  valAcc: number;
}

/** A finished trial, as its NDJSON `trial` record carries it. */
export interface TrialResult extends TrialDraw {
  valAcc: number; // after the last epoch: what trials are ranked by
  trainAcc: number;
  curve: TrialEpoch[];
}

/**
 * Trials best first: by final validation accuracy (NaN last), ties by trial index, so the
 * order does not depend on which process finished first. Repeated indices keep the first.
 */
export function rankTrials(trials: readonly TrialResult[]): TrialResult[] {
  const seen = new Set<number>();
  const unique = trials.filter((t) => (seen.has(t.index) ? false : (seen.add(t.index), true)));
  const key = (t: TrialResult) => (Number.isNaN(t.valAcc) ? -1 : t.valAcc);
  return unique.sort((a, b) => key(b) - key(a) || a.index - b.index);
}
