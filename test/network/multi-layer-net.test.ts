import { describe, expect, it } from 'vitest';
import { referenceKernels } from '../../src/kernels/reference.js';
import { buildNetwork, parseHidden } from '../../src/network/build-network.js';
import { gradientCheck } from '../../src/network/gradient-check.js';
import { initStd } from '../../src/network/init.js';
import { MultiLayerNet } from '../../src/network/multi-layer-net.js';
import { TwoLayerNet } from '../../src/network/two-layer-net.js';
import { matrixFrom, type DType, type Matrix } from '../../src/tensor/matrix.js';
import { Rng } from '../../src/tensor/rng.js';
import { forwardOps } from '../../src/train/evaluate.js';

/** N rows of D values in [0, 1), a stand-in for scaled pixels, plus labels in 0..C-1. */
function randomBatch(dtype: DType, seed: number, N: number, D: number, C: number): { x: Matrix; t: Uint8Array } {
  const rng = new Rng(seed);
  const x = matrixFrom(dtype, N, D);
  for (let i = 0; i < x.data.length; i++) x.data[i] = rng.uniform();
  const t = new Uint8Array(N);
  for (let i = 0; i < N; i++) t[i] = rng.int(C);
  return { x, t };
}

describe('MultiLayerNet', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    it(`with one hidden ReLU layer and std init is bit-identical to TwoLayerNet (${dtype})`, () => {
      const k = referenceKernels(dtype);
      const two = new TwoLayerNet(k, new Rng(42), 784, 50, 10, 0.01);
      const multi = buildNetwork(k, new Rng(42), { inputSize: 784, hidden: [50], outputSize: 10, activation: 'relu', init: 'std', weightInitStd: 0.01 });
      expect(Object.keys(multi.params)).toEqual(['W1', 'b1', 'W2', 'b2']);
      expect([...multi.layers.keys()]).toEqual([...two.layers.keys()]);
      for (const key of ['W1', 'b1', 'W2', 'b2']) {
        expect(multi.params[key].rows).toBe((two.params as Record<string, Matrix>)[key].rows);
        expect(Array.from(multi.params[key].data)).toEqual(Array.from((two.params as Record<string, Matrix>)[key].data));
      }
      const { x, t } = randomBatch(dtype, 7, 5, 784, 10);
      expect(Object.is(multi.loss(x, t), two.loss(x, t))).toBe(true);
      const g2 = two.gradient(x, t);
      const snapshot = Object.fromEntries(Object.entries(g2).map(([key, m]) => [key, Array.from(m.data)]));
      const gm = multi.gradient(x, t);
      for (const key of ['W1', 'b1', 'W2', 'b2']) expect(Array.from(gm[key].data)).toEqual(snapshot[key]);
      expect(multi.lastLoss).toBe(two.lastLoss);
      expect(multi.accuracy(x, t)).toBe(two.accuracy(x, t));
    });
  }

  it('builds W1..Wn, b1..bn that chain, with named layers in forward order', () => {
    const net = buildNetwork(referenceKernels(), new Rng(1), { inputSize: 12, hidden: [7, 6, 5], outputSize: 4, activation: 'sigmoid', init: 'xavier', weightInitStd: 0.01 });
    expect(net.architecture).toBe('12-7-6-5-4');
    expect(Object.entries(net.params).map(([k, m]) => `${k}(${m.rows},${m.cols})`)).toEqual([
      'W1(12,7)', 'b1(1,7)', 'W2(7,6)', 'b2(1,6)', 'W3(6,5)', 'b3(1,5)', 'W4(5,4)', 'b4(1,4)',
    ]);
    expect([...net.layers.keys()]).toEqual(['Affine1', 'Sigmoid1', 'Affine2', 'Sigmoid2', 'Affine3', 'Sigmoid3', 'Affine4']);
    expect(net.affines[0].needInputGrad).toBe(false);
    expect(net.predict(randomBatch('float64', 2, 3, 12, 4).x).cols).toBe(4);
  });

  it('declares its layers as kernel ops, in forward order, over its own parameters', () => {
    const net = buildNetwork(referenceKernels(), new Rng(1), { inputSize: 12, hidden: [7, 6], outputSize: 4, activation: 'sigmoid', init: 'xavier', weightInitStd: 0.01 });
    const ops = forwardOps(net);
    expect(ops.map((op) => op.kind)).toEqual(['affine', 'sigmoid', 'affine', 'sigmoid', 'affine']);
    const affine2 = ops[2];
    if (affine2.kind !== 'affine') throw new Error('the third op is not affine');
    expect(affine2.W).toBe(net.params.W2); // the parameters themselves, not copies
    expect(affine2.b).toBe(net.params.b2);
    const two = new TwoLayerNet(referenceKernels(), new Rng(1), 12, 7, 4);
    expect(forwardOps(two).map((op) => op.kind)).toEqual(['affine', 'relu', 'affine']);
  });

  it('draws weights with the spread each init asks for', () => {
    const k = referenceKernels();
    expect(initStd('std', 784, 0.01)).toBe(0.01);
    expect(initStd('xavier', 100, 0.01)).toBeCloseTo(0.1, 15);
    expect(initStd('he', 200, 0.01)).toBeCloseTo(0.1, 15);
    for (const [init, nIn, want] of [['he', 400, Math.sqrt(2 / 400)], ['xavier', 400, Math.sqrt(1 / 400)], ['std', 400, 0.05]] as const) {
      const net = buildNetwork(k, new Rng(3), { inputSize: nIn, hidden: [300], outputSize: 10, activation: 'relu', init, weightInitStd: 0.05 });
      const w = net.params.W1.data;
      let sq = 0;
      for (const v of w) sq += v * v;
      const sd = Math.sqrt(sq / w.length);
      expect(Math.abs(sd / want - 1)).toBeLessThan(0.01); // 120,000 draws: the spread is within 1%
    }
  });

  it('rejects loaded params whose shapes do not match the spec', () => {
    const k = referenceKernels();
    const params = { W1: k.alloc(4, 3), b1: k.alloc(1, 3), W2: k.alloc(2, 2), b2: k.alloc(1, 2) };
    expect(() => new MultiLayerNet(k, { inputSize: 4, hiddenSizes: [3], outputSize: 2, activation: 'relu' }, { params })).toThrow('W2 must be (3, 2)');
  });

  it('parses --hidden lists', () => {
    expect(parseHidden('50')).toEqual([50]);
    expect(parseHidden('100, 100,100')).toEqual([100, 100, 100]);
    for (const bad of ['', '100,', 'a', '0', '1.5', '-3', '100,,100']) expect(() => parseHidden(bad)).toThrow(RangeError);
  });
});

describe('gradient check of deep nets (float64)', () => {
  const cases = [
    { hidden: [20, 20, 20], activation: 'sigmoid', init: 'xavier' },
    { hidden: [20, 20, 20], activation: 'sigmoid', init: 'std' },
    { hidden: [20, 20, 20], activation: 'relu', init: 'he' },
    { hidden: [15, 10], activation: 'relu', init: 'xavier' },
  ] as const;
  for (const c of cases) {
    it(`hidden ${c.hidden.join(',')} ${c.activation} ${c.init}: backprop matches central differences`, () => {
      const net = buildNetwork(referenceKernels('float64'), new Rng(5), { inputSize: 30, hidden: [...c.hidden], outputSize: 10, activation: c.activation, init: c.init, weightInitStd: 0.01 });
      const { x } = randomBatch('float64', 11, 3, 30, 10);
      // Distinct labels, as the book's first three training images (5, 0, 4): the loss's
      // 1e-7 inside the log, which backprop ignores, then stays well under the tolerance.
      const t = new Uint8Array([5, 0, 4]);
      const checks = gradientCheck(net, x, t, 1e-6);
      expect(checks.map((r) => r.param)).toEqual(Object.keys(net.params));
      for (const r of checks) {
        expect(r.maxAbsDiff, `${r.param}`).toBeLessThan(1e-6);
        expect(r.ok).toBe(true);
      }
    });
  }

  it('catches a wrong backward: breaking one gradient makes the check fail', () => {
    const net = buildNetwork(referenceKernels('float64'), new Rng(5), { inputSize: 10, hidden: [8, 8], outputSize: 4, activation: 'sigmoid', init: 'xavier', weightInitStd: 0.01 });
    const { x, t } = randomBatch('float64', 12, 3, 10, 4);
    const original = net.gradient.bind(net);
    net.gradient = (xx, tt) => {
      const g = original(xx, tt);
      g.W2.data[3] *= 1.5; // a deliberate bug in one weight's gradient
      return g;
    };
    const checks = gradientCheck(net, x, t, 1e-6);
    expect(checks.find((r) => r.param === 'W2')?.ok).toBe(false);
    expect(checks.find((r) => r.param === 'W1')?.ok).toBe(true);
  });
});
