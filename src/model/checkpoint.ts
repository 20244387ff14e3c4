import { readFileSync } from 'node:fs';
import { RuntimeFailure } from '../errors.js';
import type { AnyNet } from '../network/build-network.js';
import type { Matrix } from '../tensor/matrix.js';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, checkpointProblem, sealCheckpoint, UNSEALED } from './checkpoint-seal.js';
import { writeFileDurably } from './durable-write.js';
import { modelTensors, netMetadata } from './model-file.js';
import { decodeSafetensors, encodeSafetensors, SafetensorsError, type Tensor } from './safetensors.js';

/**
 * A training run's checkpoint as a .safetensors file (`nn-train train --checkpoint FILE`):
 *
 *   tensors    W1, b1, ..., Wn, bn as a model file has them (so eval and predict read a
 *              checkpoint as a model), then the rest of the training state by name, in the
 *              training dtype: "optimizer.v.W1", "optimizer.m.W1", ..., "layer.<Layer>.<name>"
 *   metadata   format "nn-train-checkpoint", formatVersion "1", architecture, activation,
 *              checksum "sha256:..." (checkpoint-seal.ts), and "state": one JSON object with
 *              everything that is not a tensor (config, data set, progress, rng, optimizer
 *              counters, epoch records); its meaning belongs to src/train/checkpoint-state.ts
 *
 * This file only writes and reads the container and refuses a damaged or foreign one.
 */

export interface Checkpoint {
  tensors: Map<string, Tensor>; // the weights and the state tensors, by name
  metadata: Record<string, string>;
  state: unknown; // the parsed "state" object, unchecked
}

/** The checkpoint's bytes: the net's weights, `state` tensors (by their file names) and the sealed metadata. */
export function encodeCheckpoint(net: AnyNet, stateTensors: Record<string, Matrix>, state: object, extra: Record<string, string>): Uint8Array {
  const tensors = modelTensors(net);
  const dtype = net.kernels.dtype === 'float64' ? 'F64' : 'F32';
  for (const [name, m] of Object.entries(stateTensors)) {
    if (tensors.has(name)) throw new Error(`encodeCheckpoint: state tensor ${name} clashes with a weight`);
    tensors.set(name, { dtype, shape: [m.rows, m.cols], data: m.data });
  }
  const bytes = encodeSafetensors(tensors, {
    ...extra,
    format: CHECKPOINT_FORMAT,
    formatVersion: String(CHECKPOINT_VERSION),
    ...netMetadata(net), // the layers (batch norm, dropout, a layer spec), so that the checkpoint loads as a model too
    state: JSON.stringify(state),
    checksum: UNSEALED,
  });
  sealCheckpoint(bytes);
  return bytes;
}

/** The checkpoint in `bytes`, after every check of the container; faults name `file`. */
export function decodeCheckpoint(bytes: Uint8Array, file: string): Checkpoint {
  const fail = (why: string) => new RuntimeFailure(`checkpoint ${file} ${why}`);
  let decoded;
  try {
    decoded = decodeSafetensors(bytes);
  } catch (err) {
    if (err instanceof SafetensorsError) throw fail(`is damaged or not a checkpoint: ${err.message}`);
    throw err;
  }
  const problem = checkpointProblem(bytes, decoded.metadata);
  if (problem !== null) throw fail(problem);
  let state: unknown;
  try {
    state = JSON.parse(decoded.metadata.state ?? '');
  } catch {
    throw fail('has no valid state in its metadata');
  }
  return { tensors: decoded.tensors, metadata: decoded.metadata, state };
}

/** Reads and checks a checkpoint file; every fault is a one-line RuntimeFailure. */
export function readCheckpoint(file: string): Checkpoint {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RuntimeFailure(`cannot read checkpoint ${file}: ${code === 'ENOENT' ? 'no such file' : code ?? (err as Error).message}`);
  }
  return decodeCheckpoint(bytes, file);
}

/** Replaces the checkpoint `file` with `bytes`, whole or not at all (the old one stays whole). */
export function writeCheckpoint(file: string, bytes: Uint8Array): void {
  try {
    writeFileDurably(file, bytes);
  } catch (err) {
    throw new RuntimeFailure(`cannot write checkpoint ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
