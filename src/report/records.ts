import type { DatasetInfo } from '../data/dataset.js';
import type { ParamCheck, SampledParamCheck } from '../network/gradient-check.js';
import type { TrainEvent, TrainSummary } from '../train/trainer.js';

/**
 * The NDJSON records of `--json`: one object per line, each with a
 * `type`, stable camelCase keys, plain numbers. Building them is separate from printing so
 * the terminal reporter and the tests read the same values.
 */
export type EpochEvent = Extract<TrainEvent, { type: 'epoch' }>;

/** Where a resumed run started: its checkpoint and the step and epoch it had reached. */
export interface ResumeRecord {
  file: string;
  epoch: number;
  iteration: number;
}

export interface DatasetRecord {
  name: string;
  requested: string;
  source: string;
  classes: number;
  trainCount: number;
  testCount: number;
}

export function datasetRecord(info: DatasetInfo, trainCount: number, testCount: number): DatasetRecord {
  return { name: info.name, requested: info.requested, source: info.source, classes: info.classes, trainCount, testCount };
}

/**
 * The first record: everything needed to repeat the run. A resumed run says so (`resumed`)
 * and from where (`fromEpoch`, `fromIteration`: what its checkpoint had done); its epoch
 * records continue the numbering.
 */
export function configRecord(
  version: string,
  config: object,
  run: { seed: number; iterations: number; iterPerEpoch: number; epochs: number; kernels: string },
  dataset: DatasetRecord,
  resume?: ResumeRecord,
): object {
  return {
    type: 'config',
    version,
    seed: run.seed,
    config: { ...config, ...run },
    dataset,
    resumed: resume !== undefined,
    fromEpoch: resume?.epoch ?? null,
    fromIteration: resume?.iteration ?? null,
  };
}

/** A warning (also on stderr): `code` is stable for scripts, `message` for people. */
export function warningRecord(code: string, message: string): object {
  return { type: 'warning', code, message };
}

export function epochRecord(e: EpochEvent): object {
  return {
    type: 'epoch',
    epoch: e.epoch,
    iteration: e.iteration,
    loss: e.loss,
    trainAcc: e.trainAcc,
    testAcc: e.testAcc, // null with --validation-split: the test set is scored at the end only
    valAcc: e.valAcc, // null without --validation-split
    evalSamples: e.evalSamples,
    seconds: e.seconds,
    elapsedSeconds: e.elapsedSeconds,
  };
}

export function summaryRecord(s: TrainSummary): object {
  const { testConfusion, ...summary } = s; // the confusion matrix is a record of its own
  return { type: 'summary', ...summary };
}

/** A parameter's check; a sampled check's (a convnet's) also says how many entries it compared. */
export function gradcheckRecord(c: ParamCheck | SampledParamCheck, tolerance: number): object {
  const sampled = 'samples' in c ? { samples: c.samples, size: c.size, kinks: c.kinks } : {};
  return { type: 'gradcheck', param: c.param, meanAbsDiff: c.meanAbsDiff, maxAbsDiff: c.maxAbsDiff, tolerance, ok: c.ok, ...sampled };
}

/**
 * One NDJSON line. JSON has no NaN: an accuracy never measured (a run stopped before its first
 * evaluation) is null; so is an option left unset, so every record of a type has the same keys.
 */
export function toJsonLine(record: object): string {
  return JSON.stringify(record, (_key, v: unknown) => (v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? null : v));
}
