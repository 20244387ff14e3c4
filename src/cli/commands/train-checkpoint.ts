import type { TrainConfigValues } from '../../config.js';
import { fingerprintDifference, fingerprintOf, type DatasetFingerprint } from '../../data/fingerprint.js';
import type { Dataset } from '../../data/dataset.js';
import { RuntimeFailure } from '../../errors.js';
import { encodeCheckpoint, readCheckpoint, writeCheckpoint, type Checkpoint } from '../../model/checkpoint.js';
import type { MultiLayerNet } from '../../network/multi-layer-net.js';
import { captureTraining, readTrainingState, restoreTraining, type TrainingState } from '../../train/checkpoint-state.js';
import type { Optimizer } from '../../train/optimizers/optimizer.js';
import type { Rng } from '../../train/rng.js';
import type { TrainProgress } from '../../train/trainer.js';
import { readSavedRun, resumedConfig, savedRun, type SavedRun } from './resume-config.js';

/** A checkpoint to resume from, read and checked before any data loads or any file is written. */
export interface Resume {
  file: string;
  checkpoint: Checkpoint;
  state: TrainingState;
  saved: SavedRun;
  config: TrainConfigValues; // the command line's, with the checkpoint's settings for the numbers
  iterations: number; // the steps the resumed run goes to
}

/** Reads --resume FILE and merges its settings into `config` (see resumedConfig for the rules). */
export function openResume(file: string, config: TrainConfigValues, given: readonly string[]): Resume {
  const checkpoint = readCheckpoint(file);
  const state = wrap(file, () => readTrainingState(checkpoint));
  const saved = readSavedRun(state.run, file);
  return { file, checkpoint, state, saved, ...resumedConfig(config, given, saved, state.progress.iteration) };
}

/** Puts the fresh net, optimizer and rng back to the checkpoint's step; the data set must be the same. */
export function restoreResume(resume: Resume, data: Dataset, net: MultiLayerNet, optimizer: Optimizer, rng: Rng): TrainProgress {
  const difference = fingerprintDifference(resume.saved.dataset, fingerprintOf(data));
  if (difference !== null) throw new RuntimeFailure(`cannot resume from ${resume.file}: ${difference}`);
  wrap(resume.file, () => restoreTraining(resume.checkpoint, resume.state, net, optimizer, rng));
  return resume.state.progress;
}

/**
 * What the trainer calls at each checkpoint: the state encoded at once (the buffers are live)
 * and written whole over `file`.
 */
export function checkpointWriter(
  file: string,
  run: { config: TrainConfigValues; data: Dataset; iterations: number; iterPerEpoch: number; createdBy: string },
  net: MultiLayerNet,
  optimizer: Optimizer,
  rng: Rng,
): (progress: Readonly<TrainProgress>) => void {
  const dataset: DatasetFingerprint = fingerprintOf(run.data);
  const record = savedRun(run.config, dataset, run.iterations, run.iterPerEpoch);
  return (progress) => {
    const { tensors, state } = captureTraining(net, optimizer, rng, progress, { ...record });
    const extra = { dataset: dataset.name, iterations: String(progress.iteration), dtype: run.config.dtype, createdBy: run.createdBy };
    writeCheckpoint(file, encodeCheckpoint(net, tensors, state, extra));
  };
}

function wrap<T>(file: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof RuntimeFailure) throw err;
    throw new RuntimeFailure(`checkpoint ${file} ${(err as Error).message}`);
  }
}
