import { describe, expect, it } from 'vitest';
import { Affine } from '../../src/layers/affine.js';
import { Relu } from '../../src/layers/relu.js';
import { Sigmoid } from '../../src/layers/sigmoid.js';
import { SoftmaxWithLoss } from '../../src/layers/softmax-with-loss.js';
import { matrixFrom } from '../../src/tensor/matrix.js';
import { Rng } from '../../src/tensor/rng.js';
import { kernels64, maxAbsDiff, maxGradientError, randomMatrix } from '../support/gradient-check.js';

const rng = new Rng(42);

describe('backward matches a numerical gradient of forward', () => {
  it('Relu', () => expect(maxGradientError(new Relu(kernels64), randomMatrix(rng, 4, 7))).toBeLessThan(1e-8));
  it('Sigmoid', () => expect(maxGradientError(new Sigmoid(kernels64), randomMatrix(rng, 4, 7))).toBeLessThan(1e-8));
  it('Affine (dX, dW and db)', () =>
    expect(maxGradientError(new Affine(kernels64, randomMatrix(rng, 6, 3), randomMatrix(rng, 1, 3)), randomMatrix(rng, 5, 6))).toBeLessThan(1e-8));
});

describe('Affine', () => {
  it('has the book shapes on a batch: Y (N,H), dX (N,D), dW (D,H), db (1,H)', () => {
    const layer = new Affine(kernels64, randomMatrix(rng, 784, 50, 0.01), kernels64.alloc(1, 50));
    const y = layer.forward(randomMatrix(rng, 100, 784));
    expect([y.rows, y.cols]).toEqual([100, 50]);
    const dx = layer.backward(randomMatrix(rng, 100, 50));
    expect([dx.rows, dx.cols]).toEqual([100, 784]);
    expect([layer.grads.W.rows, layer.grads.W.cols]).toEqual([784, 50]);
    expect([layer.grads.b.rows, layer.grads.b.cols]).toEqual([1, 50]);
  });

  it('computes Y = XW + B and db as column sums on a hand example', () => {
    const W = matrixFrom('float64', 2, 3, [1, 2, 3, 4, 5, 6]);
    const b = matrixFrom('float64', 1, 3, [0.5, -1, 2]);
    const layer = new Affine(kernels64, W, b);
    const y = layer.forward(matrixFrom('float64', 2, 2, [1, 0, 2, 1]));
    expect([...y.data]).toEqual([1.5, 1, 5, 6.5, 8, 14]);
    const dx = layer.backward(matrixFrom('float64', 2, 3, [1, 1, 1, 0, 1, 0]));
    expect([...layer.grads.b.data]).toEqual([1, 2, 1]);
    expect([...dx.data]).toEqual([6, 15, 2, 5]); // dY · W^T
    expect([...layer.grads.W.data]).toEqual([1, 3, 1, 0, 1, 0]); // X^T · dY
  });

  it('rejects an input whose width does not match W', () => {
    const layer = new Affine(kernels64, randomMatrix(rng, 3, 2), kernels64.alloc(1, 2), 'Affine1');
    expect(() => layer.forward(randomMatrix(rng, 2, 4))).toThrow('Affine1: input has 4 columns, W has 3 rows');
  });
});

describe('SoftmaxWithLoss', () => {
  it('matches a hand-computed case', () => {
    // Scores (1, 2, 3): softmax = e^k / (e + e^2 + e^3).
    const s = Math.E + Math.E ** 2 + Math.E ** 3;
    const layer = new SoftmaxWithLoss(kernels64);
    const loss = layer.forward(matrixFrom('float64', 1, 3, [1, 2, 3]), new Uint8Array([2]));
    expect(loss).toBeCloseTo(-Math.log(Math.E ** 3 / s + 1e-7), 12);
    const dx = layer.backward();
    expect(dx.data[0]).toBeCloseTo(Math.E / s, 12);
    expect(dx.data[1]).toBeCloseTo(Math.E ** 2 / s, 12);
    expect(dx.data[2]).toBeCloseTo(Math.E ** 3 / s - 1, 12);
  });

  it('gives (y - t) / N on a batch, for class indices and one-hot targets alike', () => {
    const x = randomMatrix(rng, 4, 5);
    const labels = new Uint8Array([0, 4, 2, 2]);
    const oneHot = kernels64.alloc(4, 5);
    labels.forEach((c, i) => (oneHot.data[i * 5 + c] = 1));
    const a = new SoftmaxWithLoss(kernels64);
    const b = new SoftmaxWithLoss(kernels64);
    expect(a.forward(x, labels)).toBe(b.forward(x, oneHot));
    expect(maxAbsDiff(a.backward(), b.backward())).toBe(0);
    const y = a.probabilities!;
    const dx = a.backward();
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 5; j++) expect(dx.data[i * 5 + j]).toBeCloseTo((y.data[i * 5 + j] - (labels[i] === j ? 1 : 0)) / 4, 15);
    }
  });

  it('is numerically stable for huge scores', () => {
    const layer = new SoftmaxWithLoss(kernels64);
    const loss = layer.forward(matrixFrom('float64', 1, 3, [1000, 1001, 1002]), new Uint8Array([2]));
    expect(Number.isFinite(loss)).toBe(true);
    expect(loss).toBeCloseTo(0.40760596, 6);
  });

  it('backward equals the numerical gradient of the loss', () => {
    const x = randomMatrix(rng, 3, 4);
    const t = new Uint8Array([1, 3, 0]);
    const layer = new SoftmaxWithLoss(kernels64);
    layer.forward(x, t);
    const dx = { ...layer.backward(), data: layer.backward().data.slice() };
    const h = 1e-5;
    for (let i = 0; i < x.data.length; i++) {
      const v = x.data[i];
      x.data[i] = v + h;
      const up = layer.forward(x, t);
      x.data[i] = v - h;
      const down = layer.forward(x, t);
      x.data[i] = v;
      // The book's +1e-7 inside the log makes the analytic gradient off by up to ~1e-7.
      expect(Math.abs((up - down) / (2 * h) - dx.data[i])).toBeLessThan(1e-6);
    }
  });

  it('refuses a target count that differs from the batch', () => {
    expect(() => new SoftmaxWithLoss(kernels64).forward(randomMatrix(rng, 3, 4), new Uint8Array(2))).toThrow(/3 rows of scores but 2 targets/);
  });
});
