import { describe, expect, it } from 'vitest';
import { referenceKernels } from '../../src/kernels/reference.js';
import { sampledGradientCheck } from '../../src/network/gradient-check.js';
import { parseLayerSpec } from '../../src/network/layer-spec.js';
import { SequentialNet } from '../../src/network/sequential-net.js';
import { Rng } from '../../src/tensor/rng.js';
import { randomMatrix } from '../support/gradient-check.js';

const k64 = referenceKernels('float64');
const input = { C: 1, H: 8, W: 8 };
// Small weights keep the softmax off saturation, where the loss's log(y + 1e-7) guard (which
// backprop ignores, as the book's does) would show in the numerical gradient.
const net = (spec: string, seed = 1) => new SequentialNet(k64, { parts: parseLayerSpec(spec), input, classes: 3 }, { rng: new Rng(seed), init: 'std', weightInitStd: 0.1 });

describe('SequentialNet', () => {
  it('names its parameters W1, b1, ... over the conv and affine layers, in the book layout', () => {
    const n = net('conv:4x3p1,relu,pool:2,affine:6,relu');
    expect(Object.fromEntries(Object.entries(n.params).map(([k, m]) => [k, [m.rows, m.cols]]))).toEqual({
      W1: [4, 9], b1: [1, 4], W2: [64, 6], b2: [1, 6], W3: [6, 3], b3: [1, 3],
    });
    expect(n.architecture).toBe('conv:4x3p1,relu,pool:2,affine:6,relu,affine:3');
    expect(n.tensorShapes().get('W1')).toEqual([4, 1, 3, 3]);
  });

  it('draws He weights with sd sqrt(2 / fan-in): C*FH*FW for a convolution', () => {
    const n = new SequentialNet(k64, { parts: parseLayerSpec('conv:400x3'), input, classes: 3 }, { rng: new Rng(2), init: 'he', weightInitStd: 0.01 });
    const W = n.params.W1.data;
    const sd = Math.sqrt(W.reduce((s, v) => s + v * v, 0) / W.length);
    expect(sd).toBeGreaterThan(Math.sqrt(2 / 9) * 0.95);
    expect(sd).toBeLessThan(Math.sqrt(2 / 9) * 1.05);
  });

  it('backprop matches central differences, dropout masks held (sampled check)', () => {
    const n = net('conv:3x3p1,relu,conv:2x3,relu,pool:2,affine:5,relu,dropout:0.3,affine:3,dropout:0.2');
    const x = randomMatrix(new Rng(4), 2, 64, 0.5);
    const checks = sampledGradientCheck(n, x, Uint8Array.from([0, 2]), 8, new Rng(5));
    for (const c of checks) expect(c, c.param).toMatchObject({ ok: true });
    expect(checks.map((c) => c.param)).toEqual(['W1', 'b1', 'W2', 'b2', 'W3', 'b3', 'W4', 'b4']);
  });

  it('the sampled check catches a wrong backward', () => {
    const n = net('conv:3x3p1,relu,affine:3'); // (without a pool: a first conv, relu, pool would run fused)
    const conv = n.forwardLayers[0] as unknown as { backward: (d: unknown) => unknown; grads: { W: { data: Float64Array } } };
    const backward = conv.backward.bind(conv);
    conv.backward = (d) => {
      const dx = backward(d);
      conv.grads.W.data[0] += 1e-3; // one entry off
      return dx;
    };
    const checks = sampledGradientCheck(n, randomMatrix(new Rng(4), 2, 64, 0.5), Uint8Array.from([0, 1]), 9, new Rng(5));
    expect(checks.find((c) => c.param === 'W1')!.ok).toBe(false);
    expect(checks.find((c) => c.param === 'b1')!.ok).toBe(true);
  });
});
