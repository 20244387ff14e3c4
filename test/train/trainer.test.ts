import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/dataset.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import { TwoLayerNet } from '../../src/network/two-layer-net.js';
import { Sgd } from '../../src/train/optimizers/sgd.js';
import { Rng } from '../../src/tensor/rng.js';
import { toySet } from '../support/toy-set.js';
import { train, type TrainEvent } from '../../src/train/trainer.js';
import { evaluate } from '../../src/train/evaluate.js';
import { summaryRecord } from '../../src/report/records.js';

const toy: Dataset = {
  info: { name: 'toy', requested: 'toy', source: 'generated', classes: 4 },
  train: toySet(500, 1),
  test: toySet(100, 2),
};

async function run(seed: number, iterations = 150) {
  const kernels = referenceKernels('float32');
  const net = new TwoLayerNet(kernels, new Rng(seed), 16, 8, 4, 0.1);
  const events: TrainEvent[] = [];
  const summary = await train(net, new Sgd(kernels, 0.5), toy, new Rng(seed + 1), { iterations, batchSize: 10, iterPerEpoch: 50 }, (e) =>
    events.push(e),
  );
  return { events, summary };
}

describe('train', () => {
  it('learns, and reports start, steps, one epoch row per iterPerEpoch steps, and done', async () => {
    const { events, summary } = await run(3, 160);
    expect(events[0]).toEqual({ type: 'start', iterations: 160, iterPerEpoch: 50, epochs: 4, batchSize: 10 });
    expect(events.filter((e) => e.type === 'step')).toHaveLength(160);
    const epochs = events.filter((e) => e.type === 'epoch');
    expect(epochs.map((e) => e.iteration)).toEqual([50, 100, 150, 160]);
    expect(events.at(-1)).toEqual({ type: 'done', summary });
    expect(summary.iterations).toBe(160);
    expect(summary.interrupted).toBe(false);
    expect(summary.finalTestAcc).toBeGreaterThan(0.95);
    expect(epochs[0].loss).toBeGreaterThan(epochs[3].loss);
  });

  it('gives the same numbers, bit for bit, for the same seed', async () => {
    const a = await run(5);
    const b = await run(5);
    const strip = (es: TrainEvent[]) =>
      es.map((e) => (e.type === 'epoch' ? { ...e, seconds: 0, elapsedSeconds: 0 } : e.type === 'done' ? e.summary.finalLoss : e));
    expect(strip(a.events)).toEqual(strip(b.events));
  });

  it('with epochs scored on fewer images, counts both sets at the end, the test set once, for its accuracy and confusion matrix', async () => {
    const kernels = referenceKernels('float32');
    const net = new TwoLayerNet(kernels, new Rng(3), 16, 8, 4, 0.1);
    const summary = await train(net, new Sgd(kernels, 0.5), toy, new Rng(4), { iterations: 100, batchSize: 10, iterPerEpoch: 50, evalSamples: 20 }, () => {});
    expect(summary.evalSamples).toEqual({ train: 500, test: 100 });
    const c = summary.testConfusion!;
    expect(c.total).toBe(100);
    expect(summary.finalTestAcc).toBe(c.correct / c.total);
    expect(summary.finalTestAcc).toBe(evaluate(net, toy.test));
    expect(summaryRecord(summary)).not.toHaveProperty('testConfusion');
  });

  it('stops after the current step when aborted', async () => {
    const kernels = referenceKernels('float64');
    const net = new TwoLayerNet(kernels, new Rng(1), 16, 8, 4, 0.1);
    const controller = new AbortController();
    const summary = await train(net, new Sgd(kernels, 0.1), toy, new Rng(2), { iterations: 1000, batchSize: 10, iterPerEpoch: 50, signal: controller.signal }, (e) => {
      if (e.type === 'step' && e.iteration === 75) controller.abort();
    });
    expect(summary.iterations).toBe(75);
    expect(summary.interrupted).toBe(true);
    expect(summary.epochs).toBe(1);
  });
});
