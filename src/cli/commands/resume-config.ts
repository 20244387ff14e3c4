import { TrainFields, type TrainConfigValues } from '../../config.js';
import type { DatasetFingerprint } from '../../data/fingerprint.js';
import { RuntimeFailure, UsageError } from '../../errors.js';
import * as z from '../../zod.js';
import { toKebab } from '../parse-options.js';

/**
 * A resumed run's settings: the checkpoint's, for everything that decides the numbers; the
 * command line's for the rest (output, data location, threads, how long to train).
 */

/** The config fields that decide the numbers. Threads do not: any count gives the same ones. */
const COMPUTATION = ['hidden', 'activation', 'init', 'weightInitStd', 'optimizer', 'lr', 'momentum', 'beta1', 'beta2', 'batchSize', 'dtype', 'backend', 'seed', 'dataset', 'weightDecay', 'dropout', 'batchNorm', 'trainSize', 'validationSplit', 'arch', 'layers', 'evalSamples'] as const;
type ComputationKey = (typeof COMPUTATION)[number];

/** What a checkpoint records of the run that made it (the `run` of its state). */
export interface SavedRun {
  config: Pick<TrainConfigValues, ComputationKey>;
  dataset: DatasetFingerprint;
  iterations: number; // the steps it was asked for
  iterPerEpoch: number;
}

const positive = () => z.number().check(z.refine((v) => Number.isSafeInteger(v) && v > 0, 'must be a positive integer'));
const SavedRunSchema = z.object({
  config: z.object({ ...z.pick(TrainFields, Object.fromEntries(COMPUTATION.map((k) => [k, true])) as Record<ComputationKey, true>).shape, lr: z.number() }),
  dataset: z.object({ name: z.string(), trainCount: z.number(), testCount: z.number(), labelsSha256: z.string() }),
  iterations: positive(),
  iterPerEpoch: positive(),
});

/** The record of this run for its checkpoints: `dataset` is the set actually used (after any fallback). */
export function savedRun(config: TrainConfigValues, dataset: DatasetFingerprint, iterations: number, iterPerEpoch: number): SavedRun {
  const settings = Object.fromEntries(COMPUTATION.map((k) => [k, config[k]])) as SavedRun['config'];
  return { config: { ...settings, dataset: dataset.name as TrainConfigValues['dataset'] }, dataset, iterations, iterPerEpoch };
}

/** The checkpoint's run record, checked; `file` names the checkpoint in errors. */
export function readSavedRun(run: unknown, file: string): SavedRun {
  const parsed = SavedRunSchema.safeParse(run);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RuntimeFailure(`checkpoint ${file} has an invalid run record (${issue.path.join('.')}: ${issue.message})`);
  }
  return parsed.data as SavedRun;
}

/**
 * The config and step count of a run resumed from `saved` after `done` steps. A flag typed
 * (`given`) with another value than the checkpoint's for a setting that decides the numbers is
 * a UsageError naming it; --iters or --epochs may ask for more steps, never fewer than done.
 */
export function resumedConfig(config: TrainConfigValues, given: readonly string[], saved: SavedRun, done: number): { config: TrainConfigValues; iterations: number } {
  for (const key of COMPUTATION) {
    if (!given.includes(key) || same(config[key], saved.config[key])) continue;
    throw new UsageError(`--${toKebab(key)} ${show(config[key])} differs from the checkpoint's ${show(saved.config[key])}: a resumed run keeps the settings it started with`);
  }
  let iterations = saved.iterations;
  let flag = '';
  if (given.includes('iters') && config.iters !== undefined) [iterations, flag] = [config.iters, `--iters ${config.iters}`];
  else if (given.includes('epochs')) [iterations, flag] = [config.epochs * saved.iterPerEpoch, `--epochs ${config.epochs}`];
  if (iterations < done) throw new UsageError(`${flag} asks for ${iterations} steps, fewer than the ${done} the checkpoint has already taken`);
  return { config: { ...config, ...saved.config }, iterations };
}

function same(a: unknown, b: unknown): boolean {
  return Array.isArray(a) && Array.isArray(b) ? a.join(',') === b.join(',') : a === b;
}

function show(v: unknown): string {
  return Array.isArray(v) ? v.join(',') : String(v);
}
