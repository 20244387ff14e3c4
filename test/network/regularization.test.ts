import { describe, expect, it } from 'vitest';
import { referenceKernels } from '../../src/kernels/reference.js';
import { buildNetwork, type NetworkSettings } from '../../src/network/build-network.js';
import { gradientCheck } from '../../src/network/gradient-check.js';
import { matrixFrom } from '../../src/tensor/matrix.js';
import { Rng } from '../../src/tensor/rng.js';
import { forwardOps } from '../../src/train/evaluate.js';

const k = referenceKernels('float64');
const N = 6, D = 10, C = 4;
const rng = new Rng(11);
const x = matrixFrom('float64', N, D);
for (let i = 0; i < x.data.length; i++) x.data[i] = rng.uniform();
const t = new Uint8Array(N).map((_, i) => i % C);

function net(extra: Partial<NetworkSettings>, seed = 5) {
  return buildNetwork(k, new Rng(seed), { inputSize: D, hidden: [8, 7], outputSize: C, activation: 'relu', init: 'he', weightInitStd: 0.01, ...extra });
}

describe('weight decay (book 6.4.2)', () => {
  it('adds 0.5 * lambda * ΣW² over the weights (not the biases) to the loss', () => {
    const plain = net({});
    const decayed = net({ weightDecay: 0.3 });
    for (const b of ['b1', 'b2', 'b3']) decayed.params[b].data.fill(5); // biases must not count
    for (const b of ['b1', 'b2', 'b3']) plain.params[b].data.fill(5);
    let sum = 0;
    for (const w of ['W1', 'W2', 'W3']) for (const v of plain.params[w].data) sum += v * v;
    const want = plain.loss(x, t) + 0.5 * 0.3 * sum;
    expect(decayed.loss(x, t)).toBeCloseTo(want, 13);
    decayed.gradient(x, t);
    expect(decayed.lastLoss).toBeCloseTo(want, 13); // what the trainer reports
  });

  it('adds lambda * W to each weight gradient, nothing to the biases', () => {
    const plain = net({});
    const decayed = net({ weightDecay: 0.3 });
    const g0 = Object.fromEntries(Object.entries(plain.gradient(x, t)).map(([key, m]) => [key, Array.from(m.data)]));
    const g1 = decayed.gradient(x, t);
    for (const key of ['W1', 'W2', 'W3']) {
      g0[key].forEach((v, i) => expect(g1[key].data[i]).toBeCloseTo(v + 0.3 * decayed.params[key].data[i], 14));
    }
    for (const key of ['b1', 'b2', 'b3']) expect(Array.from(g1[key].data)).toEqual(g0[key]);
  });

  it('passes the gradient check', () => {
    // (the central differences' own error here is about 1e-7: see the net without decay)
    for (const c of gradientCheck(net({ weightDecay: 0.5 }), x, t, 1e-6)) expect(c.ok, c.param).toBe(true);
  });
});

describe('batch normalization in the net (MultiLayerNetExtend)', () => {
  it('puts a BatchNorm between each hidden Affine and its activation, with gamma 1 and beta 0', () => {
    const n = net({ batchNorm: true });
    expect([...n.layers.keys()]).toEqual(['Affine1', 'BatchNorm1', 'Relu1', 'Affine2', 'BatchNorm2', 'Relu2', 'Affine3']);
    expect(forwardOps(n).map((op) => op.kind)).toEqual(['affine', 'batchnorm', 'relu', 'affine', 'batchnorm', 'relu', 'affine']);
    expect(Array.from(n.params.gamma1.data)).toEqual(new Array(8).fill(1));
    expect(Array.from(n.params.beta2.data)).toEqual(new Array(7).fill(0));
    expect(Object.keys(n.buffers)).toEqual(['runningMean1', 'runningVar1', 'runningMean2', 'runningVar2']);
  });

  it('draws the same weights as the net without it', () => {
    expect(Array.from(net({ batchNorm: true }).params.W2.data)).toEqual(Array.from(net({}).params.W2.data));
  });

  it('passes the gradient check in training mode, gamma and beta included, with weight decay and dropout too', () => {
    const n = net({ batchNorm: true, weightDecay: 0.1, dropout: 0.3 });
    for (const p of ['gamma1', 'beta1', 'gamma2', 'beta2']) n.params[p].data.forEach((_, i, a) => (a[i] += 0.1 * (i % 3)));
    n.holdDropoutMasks(true);
    // Differences of about 1e-6 remain here, the size the loss's log(y + 1e-7) guard (which the
    // analytic backward ignores) reaches on a net this sure of its 6 images; a wrong backward
    // is off by the size of the gradients (about 0.1). The layer alone checks to 1e-7.
    const checks = gradientCheck(n, x, t, 1e-5);
    expect(checks.map((c) => c.param)).toEqual(expect.arrayContaining(['gamma1', 'beta1', 'gamma2', 'beta2']));
    for (const c of checks) expect(c.ok, `${c.param} ${c.maxAbsDiff}`).toBe(true);
  });
});

describe('dropout in the net', () => {
  it('follows each hidden activation; predictions are deterministic at inference and masked in training', () => {
    const n = net({ dropout: 0.5 });
    expect([...n.layers.keys()]).toEqual(['Affine1', 'Relu1', 'Dropout1', 'Affine2', 'Relu2', 'Dropout2', 'Affine3']);
    const a = Array.from(n.predict(x).data);
    expect(Array.from(n.predict(x).data)).toEqual(a);
    const b = Array.from(n.predict(x, true).data);
    const c = Array.from(n.predict(x, true).data);
    expect(b).not.toEqual(c);
  });

  it('ratio 0 adds no layer', () => {
    expect([...net({ dropout: 0 }).layers.keys()]).toEqual(['Affine1', 'Relu1', 'Affine2', 'Relu2', 'Affine3']);
  });
});
