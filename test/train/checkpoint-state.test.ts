import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/dataset.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/model/checkpoint.js';
import { decodeModel } from '../../src/model/model-file.js';
import { buildNetwork } from '../../src/network/build-network.js';
import type { MultiLayerNet } from '../../src/network/multi-layer-net.js';
import type { Params } from '../../src/network/network.js';
import { matrixFrom } from '../../src/tensor/matrix.js';
import { captureTraining, readTrainingState, restoreTraining } from '../../src/train/checkpoint-state.js';
import { createOptimizer, OPTIMIZER_NAMES, type OptimizerName } from '../../src/train/optimizers/index.js';
import type { Optimizer } from '../../src/train/optimizers/optimizer.js';
import { Rng } from '../../src/tensor/rng.js';
import { toySet } from '../support/toy-set.js';
import { Diverged, train, type TrainEvent, type TrainProgress } from '../../src/train/trainer.js';

const kernels = referenceKernels('float32');
const LR: Record<OptimizerName, number> = { sgd: 0.5, momentum: 0.1, adagrad: 0.1, adam: 0.01, nesterov: 0.1, rmsprop: 0.01 };

const toy: Dataset = { info: { name: 'toy', requested: 'toy', source: 'generated', classes: 4 }, train: toySet(300, 1), test: toySet(60, 2) };

function setup(optimizer: OptimizerName): { net: MultiLayerNet; optimizer: Optimizer; rng: Rng } {
  const rng = new Rng(7);
  const net = buildNetwork(kernels, rng, { inputSize: 16, hidden: [8, 6], outputSize: 4, activation: 'relu', init: 'he', weightInitStd: 0.01 });
  return { net, optimizer: createOptimizer(kernels, { optimizer, lr: LR[optimizer] }), rng };
}

function bytesOf(params: Params): number[] {
  return Object.values(params).flatMap((m) => Array.from(new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength)));
}

async function trainTo(s: ReturnType<typeof setup>, iterations: number, extra: { from?: TrainProgress; onCheckpoint?: (p: Readonly<TrainProgress>) => void; signal?: AbortSignal } = {}) {
  return train(s.net, s.optimizer, toy, s.rng, { iterations, batchSize: 10, iterPerEpoch: 30, ...extra }, () => {});
}

describe('Rng state', () => {
  it('continues the same draws after setState, a waiting Box-Muller normal included', () => {
    const a = new Rng(99);
    a.normal(); // leaves the pair's second normal waiting
    const state = a.getState();
    expect(state.spareNormal).not.toBeNull();
    const b = new Rng(1);
    b.setState(JSON.parse(JSON.stringify(state)));
    const draws = (r: Rng) => [r.normal(), r.normal(), r.uniform(), r.int(1000), r.nextUint32()];
    expect(draws(b)).toEqual(draws(a));
  });

  it('refuses a state that is not four 32-bit words', () => {
    const r = new Rng(1);
    expect(() => r.setState({ s: [1, 2, 3], spareNormal: null })).toThrow(/four 32-bit/);
    expect(() => r.setState({ s: [0, 0, 0, 0], spareNormal: null })).toThrow(/all-zero/);
    expect(() => r.setState({ s: [1, 2, 3, 2 ** 32], spareNormal: null })).toThrow(/four 32-bit/);
  });
});

describe('optimizer state', () => {
  for (const name of OPTIMIZER_NAMES) {
    it(`${name}: a copy given the state continues bit for bit`, async () => {
      const a = setup(name);
      await trainTo(a, 40);
      const b = setup(name);
      for (const [key, m] of Object.entries(a.net.params)) b.net.params[key].data.set(m.data);
      b.rng.setState(a.rng.getState());
      const state = a.optimizer.getState();
      b.optimizer.setState(state, b.net.params);
      if (name !== 'sgd') expect(Object.keys(state.tensors).length).toBeGreaterThan(0);
      if (name === 'adam') expect(state.scalars).toEqual({ t: 40 });
      const from: TrainProgress = { iteration: 40, epoch: 1, epochLoss: 0, epochSteps: 10, firstLoss: 1, seconds: 0, records: [] };
      await trainTo(a, 90, { from });
      await trainTo(b, 90, { from });
      expect(bytesOf(b.net.params)).toEqual(bytesOf(a.net.params));
    });
  }

  it('refuses a state that does not fit the parameters', () => {
    const a = setup('adam');
    a.optimizer.update(a.net.params, a.net.params); // any gradients: this only makes the moments
    const state = a.optimizer.getState();
    const small = setup('adam');
    expect(() => small.optimizer.setState({ tensors: { ...state.tensors, 'm.W9': state.tensors['m.W1'] }, scalars: state.scalars }, small.net.params)).toThrow(/unexpected tensor m.W9/);
    const { ['v.b2']: _dropped, ...rest } = state.tensors;
    expect(() => small.optimizer.setState({ tensors: rest, scalars: state.scalars }, small.net.params)).toThrow(/lacks the tensor v.b2/);
    expect(() => small.optimizer.setState({ tensors: state.tensors, scalars: {} }, small.net.params)).toThrow(/counter t/);
    expect(() => setup('momentum').optimizer.setState(state, small.net.params)).toThrow(/unexpected tensor/);
  });
});

describe('a checkpoint of the whole training state', () => {
  it('round-trips through the file format: a run stopped and restored ends where the whole run ends', async () => {
    const whole = setup('momentum');
    await trainTo(whole, 100);

    const first = setup('momentum');
    // A layer with running state of its own (as a BatchNorm's), which the steps leave alone.
    const layerState = (s: ReturnType<typeof setup>, values: number[]) => Object.assign(s.net.layers.get('Relu1')!, { state: { count: matrixFrom('float32', 1, 3, values) } });
    layerState(first, [1, 2, 3]);
    const controller = new AbortController();
    let bytes: Uint8Array | undefined;
    // Stop mid-epoch (step 47 of 30-step epochs), as Ctrl-C would, and keep the last checkpoint.
    const onCheckpoint = (p: Readonly<TrainProgress>) => {
      const { tensors, state } = captureTraining(first.net, first.optimizer, first.rng, p, { note: 'anything the caller keeps' });
      bytes = encodeCheckpoint(first.net, tensors, state, {});
    };
    const stopAt47 = (e: TrainEvent) => {
      if (e.type === 'step' && e.iteration === 47) controller.abort();
    };
    await train(first.net, first.optimizer, toy, first.rng, { iterations: 100, batchSize: 10, iterPerEpoch: 30, signal: controller.signal, onCheckpoint }, stopAt47);

    const checkpoint = decodeCheckpoint(bytes!, 'test.ckpt');
    const state = readTrainingState(checkpoint);
    expect(state.progress).toMatchObject({ iteration: 47, epoch: 1, epochSteps: 17 });
    expect(state.run).toEqual({ note: 'anything the caller keeps' });
    expect([...checkpoint.tensors.keys()]).toEqual(['W1', 'b1', 'W2', 'b2', 'W3', 'b3', 'optimizer.v.W1', 'optimizer.v.b1', 'optimizer.v.W2', 'optimizer.v.b2', 'optimizer.v.W3', 'optimizer.v.b3', 'layer.Relu1.count']);

    const resumed = setup('momentum');
    expect(() => restoreTraining(checkpoint, state, resumed.net, resumed.optimizer, resumed.rng)).toThrow(/unexpected tensor layer.Relu1.count/);
    const restored = layerState(resumed, [0, 0, 0]);
    restoreTraining(checkpoint, state, resumed.net, resumed.optimizer, resumed.rng);
    expect(Array.from(restored.state.count.data)).toEqual([1, 2, 3]);
    const summary = await trainTo(resumed, 100, { from: state.progress });
    expect(bytesOf(resumed.net.params)).toEqual(bytesOf(whole.net.params));
    expect(summary.iterations).toBe(100);
    expect(summary.epochs).toBe(4);

    // A checkpoint is a model too.
    const model = decodeModel(bytes!, kernels, 'test.ckpt');
    expect(bytesOf(model.net.params)).toEqual(bytesOf(first.net.params));
  });

  it('detects any changed byte, and a restore into another optimizer or net', async () => {
    const s = setup('adam');
    await trainTo(s, 30);
    const { tensors, state } = captureTraining(s.net, s.optimizer, s.rng, { iteration: 30, epoch: 1, epochLoss: 0, epochSteps: 0, firstLoss: 1, seconds: 1, records: [] }, {});
    const bytes = encodeCheckpoint(s.net, tensors, state, {});
    const rng = new Rng(3);
    for (let trial = 0; trial < 40; trial++) {
      const bad = bytes.slice();
      const at = rng.int(bad.length);
      bad[at] ^= 1 << rng.int(8);
      expect(() => decodeCheckpoint(bad, 'x.ckpt'), `bit flipped at byte ${at}`).toThrow(/^checkpoint x\.ckpt /);
    }
    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 3), 'x.ckpt')).toThrow(/truncated/);
    const checkpoint = decodeCheckpoint(bytes, 'x.ckpt');
    expect(() => restoreTraining(checkpoint, readTrainingState(checkpoint), setup('sgd').net, setup('sgd').optimizer, new Rng(1))).toThrow(/holds adam state, not sgd/);
    const other = buildNetwork(kernels, new Rng(1), { inputSize: 16, hidden: [9, 6], outputSize: 4, activation: 'relu', init: 'he', weightInitStd: 0.01 });
    expect(() => restoreTraining(checkpoint, readTrainingState(checkpoint), other, setup('adam').optimizer, new Rng(1))).toThrow(/tensor W1 has shape \[16,8\]/);
  });
});

describe('divergence', () => {
  /** Trains 100 steps (epochs of 30) with `param`[0] set to NaN by the 40th update. */
  async function poisoned(param: string): Promise<{ err: Diverged; checkpoints: number[] }> {
    const s = setup('sgd');
    const checkpoints: number[] = [];
    let updates = 0;
    const optimizer: Optimizer = {
      name: 'sgd',
      update(params, grads) {
        s.optimizer.update(params, grads);
        if (++updates === 40) params[param].data[0] = NaN;
      },
      getState: () => s.optimizer.getState(),
      setState: (state, params) => s.optimizer.setState(state, params),
    };
    const err = await train(s.net, optimizer, toy, s.rng, { iterations: 100, batchSize: 10, iterPerEpoch: 30, onCheckpoint: (p) => checkpoints.push(p.iteration) }, () => {}).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Diverged);
    return { err: err as Diverged, checkpoints };
  }

  it('stops at the first step whose loss is NaN, after the last good checkpoint and none later', async () => {
    const { err, checkpoints } = await poisoned('b3'); // an output bias: the next loss is NaN
    expect([err.what, err.iteration]).toEqual(['loss', 41]);
    expect(checkpoints).toEqual([30]);
  });

  it('finds a NaN weight the loss does not show at the epoch end, before the checkpoint', async () => {
    // A first-layer weight: ReLU turns the NaN it makes into 0, so only the weight check sees it.
    const { err, checkpoints } = await poisoned('W1');
    expect([err.what, err.iteration]).toEqual(['weights', 60]);
    expect(checkpoints).toEqual([30]);
  });
});
