import type { Checkpoint } from '../model/checkpoint.js';
import type { Tensor } from '../model/safetensors.js';
import type { LayerStack } from '../network/layer-stack.js';
import type { Matrix } from '../tensor/matrix.js';
import * as z from '../zod.js';
import type { Optimizer } from './optimizers/optimizer.js';
import type { Rng } from '../tensor/rng.js';
import type { TrainProgress } from './trainer.js';

/**
 * What a checkpoint holds besides the weights, and how a run is put back to it. The file
 * format is src/model/checkpoint.ts; this is the meaning:
 *
 *   tensors "optimizer.<slot>.<param>"  the optimizer's buffers (Optimizer.getState)
 *           "layer.<layer>.<name>"      a layer's running state (Layer.state)
 *   state   { run, progress, rng, optimizer: { name, scalars } } as JSON, where `run` is
 *           what the caller needs to repeat the computation (config, data set, plan)
 */

/** An accuracy as JSON holds it: NaN (not measured) is written as null. */
const accuracy = () => z.pipe(z.nullable(z.number()), z.transform((v) => v ?? NaN));

/** The state JSON's shape, checked when a checkpoint is read (a newer or edited file fails here). */
const EpochRecord = z.object({
  type: z.literal('epoch'),
  epoch: z.number(),
  iteration: z.number(),
  loss: z.number(),
  trainAcc: z.number(),
  testAcc: accuracy(), // null (NaN) when the epochs scored a validation set instead
  valAcc: z.optional(accuracy()), // only with a validation set
  seconds: z.number(),
  elapsedSeconds: z.number(),
});
const count = () => z.number().check(z.refine((v) => Number.isSafeInteger(v) && v >= 0, 'must be a whole number'));
const StateJson = z.object({
  run: z.record(z.string(), z.unknown()),
  progress: z.object({
    iteration: count(),
    epoch: count(),
    epochLoss: z.number(),
    epochSteps: count(),
    firstLoss: z.nullable(z.number()),
    seconds: z.number(),
    records: z.array(EpochRecord),
  }),
  rng: z.object({ s: z.array(z.number()), spareNormal: z.nullable(z.number()) }),
  optimizer: z.object({ name: z.string(), scalars: z.record(z.string(), z.number()) }),
});

export interface TrainingState {
  run: Record<string, unknown>;
  progress: TrainProgress;
  rng: { s: number[]; spareNormal: number | null };
  optimizer: { name: string; scalars: Record<string, number> };
}

/**
 * The training state as a checkpoint stores it: the optimizer's and the layers' buffers (live
 * views, to be encoded before the next step) and the rest as a JSON-able object.
 */
export function captureTraining(
  net: LayerStack,
  optimizer: Optimizer,
  rng: Rng,
  progress: Readonly<TrainProgress>,
  run: Record<string, unknown>,
): { tensors: Record<string, Matrix>; state: TrainingState } {
  const tensors: Record<string, Matrix> = {};
  const opt = optimizer.getState();
  for (const [name, m] of Object.entries(opt.tensors)) tensors[`optimizer.${name}`] = m;
  for (const layer of net.forwardLayers) {
    for (const [name, m] of Object.entries(layer.state ?? {})) tensors[`layer.${layer.name}.${name}`] = m;
  }
  const state: TrainingState = {
    run,
    progress: { ...progress, records: [...progress.records] },
    rng: rng.getState(),
    optimizer: { name: optimizer.name, scalars: opt.scalars },
  };
  return { tensors, state };
}

/** The checkpoint's state object, checked; throws a one-line Error naming what is wrong. */
export function readTrainingState(checkpoint: Checkpoint): TrainingState {
  const parsed = StateJson.safeParse(checkpoint.state);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`has an invalid state (${issue.path.join('.') || 'state'}: ${issue.message})`);
  }
  return parsed.data as TrainingState;
}

/**
 * Puts a freshly built net, optimizer and rng (made from the checkpoint's config) back to the
 * checkpoint's step: weights, optimizer buffers and counters, layer state, random generator.
 * Throws a one-line Error naming what does not fit.
 */
export function restoreTraining(checkpoint: Checkpoint, state: TrainingState, net: LayerStack, optimizer: Optimizer, rng: Rng): void {
  const used = new Set<string>();
  const take = (name: string, into: Matrix): void => {
    const t = checkpoint.tensors.get(name);
    if (t === undefined) throw new Error(`lacks the tensor ${name}`);
    if (t.data.length !== into.data.length) throw new Error(`tensor ${name} has shape [${t.shape}], expected (${into.rows}, ${into.cols})`);
    into.data.set(t.data);
    used.add(name);
  };
  for (const [name, m] of Object.entries(net.params)) take(name, m);
  for (const layer of net.forwardLayers) {
    for (const [name, m] of Object.entries(layer.state ?? {})) take(`layer.${layer.name}.${name}`, m);
  }

  if (state.optimizer.name !== optimizer.name) throw new Error(`holds ${state.optimizer.name} state, not ${optimizer.name}`);
  const tensors: Record<string, Matrix> = {};
  for (const [name, t] of checkpoint.tensors) {
    if (!name.startsWith('optimizer.')) continue;
    tensors[name.slice('optimizer.'.length)] = asMatrix(t);
    used.add(name);
  }
  try {
    optimizer.setState({ tensors, scalars: state.optimizer.scalars }, net.params);
    rng.setState(state.rng);
  } catch (err) {
    throw new Error(`has state that does not fit: ${(err as Error).message}`);
  }
  for (const name of checkpoint.tensors.keys()) if (!used.has(name)) throw new Error(`holds an unexpected tensor ${name}`);
}

/** A stored 2-D (or 1-D) tensor seen as a matrix, for the optimizer's checks and copies. */
function asMatrix(t: Tensor): Matrix {
  return t.shape.length === 2 ? { rows: t.shape[0], cols: t.shape[1], data: t.data } : { rows: 1, cols: t.data.length, data: t.data };
}
