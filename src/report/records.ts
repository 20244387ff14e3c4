import type { DatasetInfo } from '../data/dataset.js';
import type { ParamCheck, SampledParamCheck } from '../network/gradient-check.js';
import type { TrainEvent, TrainSummary } from '../train/trainer.js';

/**
 * The NDJSON records of `--json`: one object per line, each with a
 * `type`, stable camelCase keys, plain numbers. Building them is separate from printing so
 * the terminal reporter and the tests read the same values.
 */
export type EpochEvent = Extract<TrainEvent, { type: 'epoch' }>;

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

/** The first record: everything needed to repeat the run. */
export function configRecord(
  version: string,
  config: object,
  run: { seed: number; iterations: number; iterPerEpoch: number; epochs: number; kernels: string },
  dataset: DatasetRecord,
): object {
  return { type: 'config', version, seed: run.seed, config: { ...config, ...run }, dataset };
}

export function epochRecord(e: EpochEvent): object {
  return {
    type: 'epoch',
    epoch: e.epoch,
    iteration: e.iteration,
    loss: e.loss,
    trainAcc: e.trainAcc,
    testAcc: e.testAcc,
    evalSamples: e.evalSamples,
    seconds: e.seconds,
    elapsedSeconds: e.elapsedSeconds,
  };
}

export function summaryRecord(s: TrainSummary): object {
  return { type: 'summary', ...s };
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
