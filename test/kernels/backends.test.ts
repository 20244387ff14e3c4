import { describe, expect, it } from 'vitest';
import { loadBundled } from '../../src/data/bundled.js';
import type { Dataset } from '../../src/data/dataset.js';
import { loadDataset } from '../../src/data/datasets.js';
import { createKernels } from '../../src/kernels/index.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { TwoLayerNet } from '../../src/network/two-layer-net.js';
import { forwardOps } from '../../src/train/evaluate.js';
import { Sgd } from '../../src/train/optimizers/sgd.js';
import { Rng } from '../../src/tensor/rng.js';
import { train, type TrainEvent } from '../../src/train/trainer.js';
import { describeMnist, MNIST_DIR } from '../support/mnist.js';

// Whole training runs on each backend, compared step by step with the reference kernels,
// and with themselves across thread counts.

const bundled = loadBundled('mnist-10k');
/** A small split of the bundled set: 2,000 training and 500 test images. */
const data: Dataset = {
  info: bundled.info,
  train: { ...bundled.train, count: 2000, images: bundled.train.images.subarray(0, 2000 * 784), labels: bundled.train.labels.subarray(0, 2000) },
  test: { ...bundled.test, count: 500, images: bundled.test.images.subarray(0, 500 * 784), labels: bundled.test.labels.subarray(0, 500) },
};

async function run(kernels: Kernels, iterations: number, d = data): Promise<TrainEvent[]> {
  const net = new TwoLayerNet(kernels, new Rng(42), 784, 50, 10, 0.01);
  const events: TrainEvent[] = [];
  await train(net, new Sgd(kernels, 0.1), d, new Rng(7), { iterations, batchSize: 100, iterPerEpoch: 20 }, (e) => {
    if (e.type === 'step' || e.type === 'epoch') events.push(e);
  });
  return events;
}

const losses = (events: TrainEvent[]) => events.flatMap((e) => (e.type === 'step' ? [e.loss] : []));
/** Epoch records without their wall times. */
const epochs = (events: TrainEvent[]) =>
  events.flatMap((e) => (e.type === 'epoch' ? [{ epoch: e.epoch, loss: e.loss, trainAcc: e.trainAcc, testAcc: e.testAcc }] : []));

describe('training on the fast backends', () => {
  it('wasm float32: the first losses match the reference to float32 round-off', async () => {
    const fast = losses(await run(await createKernels({ backend: 'wasm', threads: 1 }), 30));
    const ref = losses(await run(await createKernels({ backend: 'reference', dtype: 'float32' }), 30));
    expect(fast).toHaveLength(30);
    for (let i = 0; i < 30; i++) expect(Math.abs(fast[i] - ref[i]), `step ${i + 1}`).toBeLessThan(2e-5 * ref[i]);
    expect(ref[29]).toBeLessThan(ref[0]); // and it learns
  });

  it('js float64 and float32: the reference numbers bit for bit, accuracies included', async () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const fast = await run(await createKernels({ backend: 'js', dtype }), 41);
      const ref = await run(await createKernels({ backend: 'reference', dtype }), 41);
      expect(losses(fast)).toEqual(losses(ref));
      expect(epochs(fast)).toEqual(epochs(ref));
    }
  });

  it('wasm: the same numbers with 1, 2 and 3 threads', async () => {
    const one = await run(await createKernels({ backend: 'wasm', threads: 1 }), 60);
    for (const threads of [2, 3]) {
      const many = await run(await createKernels({ backend: 'wasm', threads }), 60);
      expect(losses(many)).toEqual(losses(one));
      expect(epochs(many)).toEqual(epochs(one));
    }
    expect(epochs(one)).toHaveLength(3);
  });

  it('wasm with a worker counts the epoch\'s accuracies beside the next steps: same events, the last epoch\'s counted at once', async () => {
    const kinds = async (threads: number) => {
      const kernels = await createKernels({ backend: 'wasm', threads });
      const net = new TwoLayerNet(kernels, new Rng(42), 784, 50, 10, 0.01);
      const events: TrainEvent[] = [];
      await train(net, new Sgd(kernels, 0.1), data, new Rng(7), { iterations: 60, batchSize: 100, iterPerEpoch: 20 }, (e) => events.push(e));
      return events;
    };
    const one = await kinds(1);
    const two = await kinds(2);
    const order = (events: TrainEvent[]) => events.filter((e) => e.type !== 'step').map((e) => (e.type === 'evaluating' || e.type === 'epoch' ? `${e.type} ${e.epoch}` : e.type));
    expect(order(one)).toEqual(['start', 'evaluating 1', 'epoch 1', 'evaluating 2', 'epoch 2', 'evaluating 3', 'epoch 3', 'done']);
    // Epochs 1 and 2 were counted while the steps went on: no wait announced, each reported once, in order.
    expect(order(two)).toEqual(['start', 'epoch 1', 'epoch 2', 'evaluating 3', 'epoch 3', 'done']);
    expect(epochs(two)).toEqual(epochs(one));
    expect(losses(two)).toEqual(losses(one));
    const firstRow = two.findIndex((e) => e.type === 'epoch');
    expect(two.slice(0, firstRow).filter((e) => e.type === 'step').length).toBeGreaterThanOrEqual(20); // never before its epoch's last step
  });

  it('a run stopped while an epoch is being counted still reports that epoch', async () => {
    const kernels = await createKernels({ backend: 'wasm', threads: 2 });
    const net = new TwoLayerNet(kernels, new Rng(42), 784, 50, 10, 0.01);
    const events: TrainEvent[] = [];
    const stop = new AbortController();
    const summary = await train(net, new Sgd(kernels, 0.1), data, new Rng(7), { iterations: 60, batchSize: 100, iterPerEpoch: 20, signal: stop.signal }, (e) => {
      events.push(e);
      if (e.type === 'step' && e.iteration === 21) stop.abort();
    });
    expect(summary).toMatchObject({ iterations: 21, epochs: 1, interrupted: true });
    const reference = epochs(await run(await createKernels({ backend: 'wasm', threads: 1 }), 20));
    expect(epochs(events)).toEqual(reference);
    expect(events[events.length - 1].type).toBe('done');
  });

  it('startCountCorrectImages: the count countCorrectImages gives; meanwhile this thread counts alone', async () => {
    const kernels = await createKernels({ backend: 'wasm', threads: 2 });
    const net = new TwoLayerNet(kernels, new Rng(3), 784, 50, 10, 0.1);
    const ops = forwardOps(net)!;
    const train = kernels.loadImages(data.train);
    const test = kernels.loadImages(data.test);
    const [trainCount, testCount] = [kernels.countCorrectImages(ops, train), kernels.countCorrectImages(ops, test)];
    const pending = kernels.startCountCorrectImages(ops, train)!;
    expect(pending).not.toBeNull();
    expect(kernels.startCountCorrectImages(ops, test)).toBeNull(); // the worker is busy
    expect(kernels.countCorrectImages(ops, test)).toBe(testCount); // on this thread alone
    expect(pending.take()).toBe(trainCount);
    expect(pending.ready()).toBe(true);
    expect(pending.take()).toBe(trainCount); // taken again: the same
    const again = kernels.startCountCorrectImages(ops, test)!; // the worker is free again
    while (!again.ready()) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(again.take()).toBe(testCount);
  });

  it('close() ends the worker threads: the kernels then count on this thread alone, with the same numbers', async () => {
    const kernels = await createKernels({ backend: 'wasm', threads: 2 });
    const net = new TwoLayerNet(kernels, new Rng(3), 784, 50, 10, 0.1);
    const ops = forwardOps(net);
    const test = kernels.loadImages(data.test);
    const before = kernels.countCorrectImages(ops, test);
    expect(kernels.startCountCorrectImages(ops, test)?.take()).toBe(before); // a worker is there
    await kernels.close();
    expect(kernels.startCountCorrectImages(ops, test)).toBeNull(); // no worker any more
    expect(kernels.countCorrectImages(ops, test)).toBe(before);
    await kernels.close(); // closing again does nothing
    const more = await run(kernels, 3); // and training still runs, on one thread
    expect(losses(more)).toEqual(losses(await run(await createKernels({ backend: 'wasm', threads: 1 }), 3)));
  });

  it('backends with no thread to spare count at once', async () => {
    for (const kernels of [await createKernels({ backend: 'wasm', threads: 1 }), await createKernels({ backend: 'js' }), await createKernels({ backend: 'reference', dtype: 'float32' })]) {
      const net = new TwoLayerNet(kernels, new Rng(3), 784, 50, 10, 0.1);
      expect(kernels.startCountCorrectImages(forwardOps(net)!, kernels.loadImages(data.test)), kernels.name).toBeNull();
    }
  });

  it('the factory picks float32 wasm by default and refuses wasm float64', async () => {
    expect((await createKernels({ threads: 1 })).name).toBe('wasm-simd-float32');
    expect((await createKernels({ dtype: 'float64', threads: 1 })).name).toBe('js-float64');
    await expect(createKernels({ backend: 'wasm', dtype: 'float64' })).rejects.toThrow(/--backend wasm runs float32 only/);
    await expect(createKernels({ threads: 0 })).rejects.toThrow(/--threads must be an integer >= 1, got 0/);
  });
});

describeMnist('fast kernels on the real MNIST', () => {
  it('evaluation counts agree across thread counts and with the bit-exact JS backend', async () => {
    const mnist = await loadDataset({ dataset: 'mnist', dataDir: MNIST_DIR, offline: true, fallback: false });
    const counts: number[] = [];
    for (const threads of [1, 2]) {
      const k = await createKernels({ backend: 'wasm', threads });
      const net = new TwoLayerNet(k, new Rng(1), 784, 50, 10, 0.1);
      const ops = [
        { kind: 'affine' as const, W: net.params.W1, b: net.params.b1 },
        { kind: 'relu' as const },
        { kind: 'affine' as const, W: net.params.W2, b: net.params.b2 },
      ];
      counts.push(k.countCorrectImages(ops, k.loadImages(mnist.train)));
      counts.push(k.countCorrectImages(ops, k.loadImages(mnist.test)));
    }
    expect(counts.slice(2)).toEqual(counts.slice(0, 2));
    const js = await createKernels({ backend: 'js', dtype: 'float32' });
    const net = new TwoLayerNet(js, new Rng(1), 784, 50, 10, 0.1);
    const ops = [
      { kind: 'affine' as const, W: net.params.W1, b: net.params.b1 },
      { kind: 'relu' as const },
      { kind: 'affine' as const, W: net.params.W2, b: net.params.b2 },
    ];
    const exact = js.countCorrectImages(ops, js.loadImages(mnist.test));
    expect(Math.abs(counts[1] - exact)).toBeLessThanOrEqual(3); // float32 near-ties only
    expect(exact).toBeGreaterThan(500); // a random net still gets some right
  });
});
