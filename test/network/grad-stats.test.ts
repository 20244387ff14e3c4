import { describe, expect, it } from 'vitest';
import { referenceKernels } from '../../src/kernels/reference.js';
import { buildNetwork } from '../../src/network/build-network.js';
import { gradStats } from '../../src/network/grad-stats.js';
import { matrixFrom } from '../../src/tensor/matrix.js';
import { Rng } from '../../src/tensor/rng.js';

const k = referenceKernels('float64');
const rng = new Rng(21);
const N = 40, D = 64;
const x = matrixFrom('float64', N, D);
for (let i = 0; i < x.data.length; i++) x.data[i] = rng.uniform() < 0.7 ? 0 : rng.uniform(); // sparse, like pixels
const t = new Uint8Array(N).map((_, i) => i % 10);

describe('gradStats', () => {
  it('shows vanishing gradients in a deep sigmoid net with std 0.01 init', () => {
    const net = buildNetwork(k, new Rng(1), { inputSize: D, hidden: [40, 40, 40, 40, 40], outputSize: 10, activation: 'sigmoid', init: 'std', weightInitStd: 0.01 });
    const s = gradStats(net, x, t);
    expect(s.map((l) => l.name)).toEqual(['Affine1', 'Affine2', 'Affine3', 'Affine4', 'Affine5', 'Affine6']);
    // Each step toward the input shrinks the gradient (by far more than the sigmoid's 1/4 here).
    for (let i = 0; i < s.length - 1; i++) expect(s[i].gradNorm).toBeLessThan(s[i + 1].gradNorm / 4);
    // Activations sit at 0.5 with almost no spread: every unit says the same thing.
    for (const l of s.slice(0, 5)) {
      expect(l.activation).toBe('sigmoid');
      expect(l.actMean).toBeCloseTo(0.5, 2);
      expect(l.actStd).toBeLessThan(0.02);
      expect(l.saturated).toBe(0);
    }
    expect(s[5]).toMatchObject({ activation: null, actMean: null, actStd: null, saturated: null, inputs: 40, outputs: 10 });
  });

  it('ReLU with He init keeps gradient norms within one order of magnitude', () => {
    const net = buildNetwork(k, new Rng(1), { inputSize: D, hidden: [40, 40, 40, 40, 40], outputSize: 10, activation: 'relu', init: 'he', weightInitStd: 0.01 });
    const s = gradStats(net, x, t);
    const norms = s.map((l) => l.gradNorm);
    expect(Math.max(...norms) / Math.min(...norms)).toBeLessThan(10);
    for (const l of s.slice(0, 5)) {
      expect(l.saturated).toBeGreaterThan(0.2); // about half the units are zero for any input
      expect(l.saturated).toBeLessThan(0.8);
      expect(l.actStd).toBeGreaterThan(0.1);
    }
  });

  it('reports the norms of the real gradient and weights', () => {
    const net = buildNetwork(k, new Rng(2), { inputSize: D, hidden: [8, 6], outputSize: 10, activation: 'relu', init: 'he', weightInitStd: 0.01 });
    const s = gradStats(net, x, t);
    const g = net.gradient(x, t);
    const norm = (d: ArrayLike<number>) => Math.sqrt(Array.from(d).reduce((a, v) => a + v * v, 0));
    for (let i = 0; i < 3; i++) {
      expect(s[i].gradNorm).toBeCloseTo(norm(g[`W${i + 1}`].data), 12);
      expect(s[i].weightNorm).toBeCloseTo(norm(net.params[`W${i + 1}`].data), 12);
      expect(s[i].gradRatio).toBeCloseTo(s[i].gradNorm / s[i].weightNorm, 12);
    }
    const h1 = net.layers.get('Affine1')!.forward(x);
    const dead = Array.from(h1.data).filter((v) => v <= 0).length / h1.data.length;
    expect(s[0].saturated).toBeCloseTo(dead, 12);
  });
});
