import type { TrainConfigValues } from '../../config.js';
import { fingerprintDifference, fingerprintOf } from '../../data/fingerprint.js';
import type { Dataset } from '../../data/dataset.js';
import { RuntimeFailure } from '../../errors.js';
import { encodeCheckpoint, readCheckpoint, writeCheckpoint, type Checkpoint } from '../../model/checkpoint.js';
import type { AnyNet } from '../../network/build-network.js';
import { captureTraining, readTrainingState, restoreTraining, type TrainingState } from '../../train/checkpoint-state.js';
import type { Optimizer } from '../../train/optimizers/optimizer.js';
import type { Rng } from '../../tensor/rng.js';
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
export function restoreResume(resume: Resume, data: Dataset, net: AnyNet, optimizer: Optimizer, rng: Rng): TrainProgress {
  const difference = fingerprintDifference(resume.saved.dataset, fingerprintOf(data));
  if (difference !== null) throw new RuntimeFailure(`cannot resume from ${resume.file}: ${difference}`);
  wrap(resume.file, () => restoreTraining(resume.checkpoint, resume.state, net, optimizer, rng));
  return resume.state.progress;
}

/**
 * Writes the trainer's checkpoints to `file`: the state encoded at once (its buffers are live)
 * and written whole over the previous checkpoint.
 */
export class CheckpointWriter {
  written = 0; // checkpoints written by this run
  private readonly record: SavedRun;

  constructor(
    readonly file: string,
    private readonly run: { config: TrainConfigValues; data: Dataset; iterations: number; iterPerEpoch: number; createdBy: string },
    private readonly net: AnyNet,
    private readonly optimizer: Optimizer,
    private readonly rng: Rng,
  ) {
    this.record = savedRun(run.config, fingerprintOf(run.data), run.iterations, run.iterPerEpoch);
  }

  /** The trainer's onCheckpoint. */
  readonly write = (progress: Readonly<TrainProgress>): void => {
    const { tensors, state } = captureTraining(this.net, this.optimizer, this.rng, progress, { ...this.record });
    const extra = { dataset: this.record.dataset.name, iterations: String(progress.iteration), dtype: this.run.config.dtype, createdBy: this.run.createdBy };
    writeCheckpoint(this.file, encodeCheckpoint(this.net, tensors, state, extra));
    this.written++;
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
