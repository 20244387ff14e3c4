import { describe, expect, it } from 'vitest';
import { referenceKernels } from '../../src/kernels/reference.js';
import { gradientCheck } from '../../src/network/gradient-check.js';
import { TwoLayerNet } from '../../src/network/two-layer-net.js';
import { Rng } from '../../src/tensor/rng.js';
import { kernels64, randomMatrix } from '../support/gradient-check.js';

function smallNet(seed = 7, std = 0.5) {
  return new TwoLayerNet(kernels64, new Rng(seed), 6, 5, 3, std);
}

describe('TwoLayerNet', () => {
  it("has the book's parameters, ordered layers and last layer", () => {
    const net = new TwoLayerNet(kernels64, new Rng(1), 784, 50, 10);
    expect(Object.keys(net.params)).toEqual(['W1', 'b1', 'W2', 'b2']);
    expect([...net.layers.keys()]).toEqual(['Affine1', 'Relu1', 'Affine2']);
    expect(net.lastLayer.name).toBe('SoftmaxWithLoss');
    const shapes = Object.values(net.params).map((p) => [p.rows, p.cols]);
    expect(shapes).toEqual([[784, 50], [1, 50], [50, 10], [1, 10]]);
    expect(net.params.b1.data.every((v) => v === 0)).toBe(true);
  });

  it('initialises weights as weightInitStd * N(0, 1) from the seed', () => {
    const a = new TwoLayerNet(kernels64, new Rng(3), 784, 50, 10, 0.01);
    const b = new TwoLayerNet(kernels64, new Rng(3), 784, 50, 10, 0.01);
    const c = new TwoLayerNet(kernels64, new Rng(4), 784, 50, 10, 0.01);
    expect(a.params.W1.data).toEqual(b.params.W1.data);
    expect(a.params.W1.data).not.toEqual(c.params.W1.data);
    const w = a.params.W1.data;
    const mean = w.reduce((s, v) => s + v, 0) / w.length;
    const std = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(2e-4);
    expect(std).toBeGreaterThan(0.0098);
    expect(std).toBeLessThan(0.0102);
  });

  it('backprop gradient equals the numerical gradient (float64, max abs diff < 1e-6)', () => {
    const rng = new Rng(11);
    const net = smallNet();
    const x = randomMatrix(rng, 4, 6);
    const t = new Uint8Array([0, 2, 1, 2]);
    const checks = gradientCheck(net, x, t, 1e-6);
    expect(checks.map((c) => c.param)).toEqual(['W1', 'b1', 'W2', 'b2']);
    for (const c of checks) {
      expect(c.ok, `${c.param}: max ${c.maxAbsDiff}`).toBe(true);
      expect(c.maxAbsDiff).toBeLessThan(1e-6);
    }
  });

  it('the gradient check fails when backprop is wrong', () => {
    const net = smallNet();
    const x = randomMatrix(new Rng(2), 4, 6);
    const t = new Uint8Array([0, 2, 1, 2]);
    const honest = net.gradient.bind(net);
    net.gradient = (xx, tt) => {
      const g = honest(xx, tt);
      g.W2.data[3] += 1e-3; // a backprop bug in one entry
      return g;
    };
    const w2 = gradientCheck(net, x, t).find((c) => c.param === 'W2')!;
    expect(w2.ok).toBe(false);
    expect(w2.maxAbsDiff).toBeGreaterThan(9e-4);
  });

  it('numericalGradient leaves the parameters exactly as they were', () => {
    const net = smallNet();
    const before = Object.values(net.params).map((p) => p.data.slice());
    net.numericalGradient(randomMatrix(new Rng(5), 2, 6), new Uint8Array([1, 0]));
    Object.values(net.params).forEach((p, i) => expect(p.data).toEqual(before[i]));
  });

  it('accuracy counts argmax hits; predict on float32 kernels runs the same network', () => {
    const net = smallNet(9, 1);
    const x = randomMatrix(new Rng(8), 20, 6);
    const scores = net.predict(x);
    const labels = new Uint8Array(20);
    for (let i = 0; i < 20; i++) {
      let best = 0;
      for (let j = 1; j < 3; j++) if (scores.data[i * 3 + j] > scores.data[i * 3 + best]) best = j;
      labels[i] = i < 15 ? best : (best + 1) % 3;
    }
    expect(net.accuracy(x, labels)).toBe(0.75);

    const k32 = referenceKernels('float32');
    const net32 = new TwoLayerNet(k32, new Rng(9), 6, 5, 3, 1);
    const x32 = k32.alloc(20, 6);
    x32.data.set(x.data);
    expect(net32.accuracy(x32, labels)).toBe(0.75);
  });
});
