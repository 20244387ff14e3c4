import { describe, expect, it } from 'vitest';
import { createKernels } from '../../src/kernels/index.js';
import { forwardOp } from '../../src/kernels/forward.js';
import { BATCHNORM_EPS, BatchNormalization } from '../../src/layers/batch-normalization.js';
import { Rng } from '../../src/tensor/rng.js';
import { kernels64, maxGradientError, randomMatrix } from '../support/gradient-check.js';

function layerOf(D: number, seed = 3): BatchNormalization {
  const rng = new Rng(seed);
  const gamma = randomMatrix(rng, 1, D);
  const beta = randomMatrix(rng, 1, D);
  return new BatchNormalization(kernels64, gamma, beta, kernels64.alloc(1, D), kernels64.alloc(1, D));
}

describe('BatchNormalization', () => {
  it('in training normalizes each column by the batch: mean beta, standard deviation |gamma| (up to eps)', () => {
    const layer = layerOf(4);
    const x = randomMatrix(new Rng(1), 50, 4, 3);
    const y = layer.forward(x, true);
    for (let j = 0; j < 4; j++) {
      const col = Array.from({ length: 50 }, (_, i) => y.data[i * 4 + j]);
      const mean = col.reduce((a, b) => a + b, 0) / 50;
      const sd = Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / 50);
      expect(mean).toBeCloseTo(layer.params.beta.data[j], 12);
      expect(sd).toBeCloseTo(Math.abs(layer.params.gamma.data[j]), 5);
    }
  });

  it('backward (training mode) matches numerical gradients for x, gamma and beta', () => {
    const layer = layerOf(5);
    const err = maxGradientError(layer, randomMatrix(new Rng(2), 6, 5, 2), 4, true);
    expect(err).toBeLessThan(1e-7);
    // and it is not trivially small: gamma and beta had gradients to check
    expect(Math.max(...Array.from(layer.grads.gamma.data, Math.abs))).toBeGreaterThan(1e-3);
  });

  it('keeps running statistics (momentum 0.9, from zero) and uses them, not the batch, at inference', () => {
    const layer = layerOf(3);
    const x = randomMatrix(new Rng(5), 20, 3, 2);
    layer.forward(x, true);
    const mean = [0, 1, 2].map((j) => Array.from({ length: 20 }, (_, i) => x.data[i * 3 + j]).reduce((a, b) => a + b, 0) / 20);
    const variance = [0, 1, 2].map((j) => Array.from({ length: 20 }, (_, i) => (x.data[i * 3 + j] - mean[j]) ** 2).reduce((a, b) => a + b, 0) / 20);
    mean.forEach((m, j) => expect(layer.runningMean.data[j]).toBeCloseTo(0.1 * m, 14));
    variance.forEach((v, j) => expect(layer.runningVar.data[j]).toBeCloseTo(0.1 * v, 14));

    // Inference on a single image: batch statistics would make it beta; the running ones do not.
    const one = randomMatrix(new Rng(6), 1, 3);
    const y = layer.forward(one, false);
    for (let j = 0; j < 3; j++) {
      const want = (layer.params.gamma.data[j] * (one.data[j] - layer.runningMean.data[j])) / Math.sqrt(layer.runningVar.data[j] + BATCHNORM_EPS) + layer.params.beta.data[j];
      expect(y.data[j]).toBeCloseTo(want, 14);
    }
    // Inference does not move the running statistics.
    const before = Array.from(layer.runningMean.data);
    layer.forward(one, false);
    expect(Array.from(layer.runningMean.data)).toEqual(before);
  });

  it('its op gives the same numbers on the fast backends as on the reference', async () => {
    const layer = layerOf(7);
    layer.forward(randomMatrix(new Rng(8), 30, 7, 2), true);
    const x = randomMatrix(new Rng(9), 5, 7);
    const want = Array.from(layer.forward(x, false).data);
    const k = await createKernels({ dtype: 'float32', backend: 'auto', threads: 1 });
    const copy = (m: { rows: number; cols: number; data: ArrayLike<number> }) => {
      const c = k.alloc(m.rows, m.cols);
      c.data.set(Array.from(m.data));
      return c;
    };
    const op = { ...layer.op, gamma: copy(layer.op.gamma), beta: copy(layer.op.beta), runningMean: copy(layer.op.runningMean), runningVar: copy(layer.op.runningVar) };
    const out = k.alloc(5, 7);
    forwardOp(k, op, out, copy(x));
    Array.from(out.data).forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-5));
    await k.close();
  });
});
