import { describe, expect, it } from 'vitest';
import { createKernels } from '../../src/kernels/index.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import { buildNetwork } from '../../src/network/build-network.js';
import { matrixFrom } from '../../src/tensor/matrix.js';
import { createOptimizer, OPTIMIZER_NAMES, type OptimizerName } from '../../src/train/optimizers/index.js';
import { Rng } from '../../src/tensor/rng.js';

const k = referenceKernels('float64');
const W0 = [1, -2];
const g = [0.5, -0.25];

/** One parameter W = [1, -2] with gradient [0.5, -0.25], updated `steps` times. */
function stepOnce(name: OptimizerName, lr: number, steps = 1): number[] {
  const opt = createOptimizer(k, { optimizer: name, lr });
  const params = { W: matrixFrom('float64', 1, 2, W0) };
  const grads = { W: matrixFrom('float64', 1, 2, g) };
  for (let i = 0; i < steps; i++) opt.update(params, grads);
  return Array.from(params.W.data);
}

describe('optimizers: the first update, by hand', () => {
  it('sgd: W - lr g', () => {
    const [a, b] = stepOnce('sgd', 0.1);
    expect(a).toBeCloseTo(0.95, 15);
    expect(b).toBeCloseTo(-1.975, 15);
  });

  it('momentum 0.9: v = -lr g, then v = 0.9 v - lr g', () => {
    // step 1: v = [-0.05, 0.025], W = [0.95, -1.975]
    let [a, b] = stepOnce('momentum', 0.1, 1);
    expect(a).toBeCloseTo(0.95, 15);
    expect(b).toBeCloseTo(-1.975, 15);
    // step 2: v = 0.9 [-0.05, 0.025] - 0.1 g = [-0.095, 0.0475], W = [0.855, -1.9275]
    [a, b] = stepOnce('momentum', 0.1, 2);
    expect(a).toBeCloseTo(0.855, 15);
    expect(b).toBeCloseTo(-1.9275, 15);
  });

  it('adagrad: h = g^2, W - lr g / (|g| + 1e-7)', () => {
    // 1 - 0.1 * 0.5 / (0.5 + 1e-7) = 0.90000002 (to 8 places), -2 + 0.1 * 0.25 / (0.25 + 1e-7) = -1.90000004
    const [a, b] = stepOnce('adagrad', 0.1);
    expect(a).toBeCloseTo(0.900000019999996, 14);
    expect(b).toBeCloseTo(-1.900000039999984, 14);
  });

  it('adam: the first step is lr * sign(g), shortened only by the 1e-7', () => {
    // m = 0.1 g, v = 0.001 g^2, lr_t = 0.001 sqrt(0.001) / 0.1, so lr_t m / sqrt(v) = 0.001 exactly;
    // with the epsilon: 0.001 * 0.0158113883 / (0.0158113883 + 1e-7) for |g| = 0.5.
    const [a, b] = stepOnce('adam', 0.001);
    expect(a).toBeCloseTo(0.9990000063245154, 14);
    expect(b).toBeCloseTo(-1.9990000126489507, 14);
  });

  it('nesterov 0.9: v = -lr g, W + 0.81 v - 1.9 lr g', () => {
    // step 1: v = [-0.05, 0.025]; W = 1 - 0.0405 - 0.095 = 0.8645, -2 + 0.02025 + 0.0475 = -1.93225
    let [a, b] = stepOnce('nesterov', 0.1, 1);
    expect(a).toBeCloseTo(0.8645, 15);
    expect(b).toBeCloseTo(-1.93225, 15);
    // step 2: v = 0.9 v - 0.1 g = [-0.095, 0.0475]; W = 0.8645 + 0.81 (-0.095) - 0.095 = 0.69255
    [a, b] = stepOnce('nesterov', 0.1, 2);
    expect(a).toBeCloseTo(0.69255, 15);
    expect(b).toBeCloseTo(-1.93225 + 0.81 * 0.0475 + 0.0475, 15);
  });

  it('rmsprop 0.99: h = 0.01 g^2, W - lr g / (sqrt(h) + 1e-7)', () => {
    // sqrt(h) = 0.1 |g| = [0.05, 0.025]: 1 - 0.005 / 0.0500001 = 0.9000001999996,
    // -2 + 0.0025 / 0.0250001 = -1.9000003999984
    const [a, b] = stepOnce('rmsprop', 0.01);
    expect(a).toBeCloseTo(0.9000001999996, 13);
    expect(b).toBeCloseTo(-1.9000003999984, 13);
  });

  it('uses the hyperparameters it is given', () => {
    const opt = createOptimizer(k, { optimizer: 'momentum', lr: 0.1, momentum: 0.5 });
    const params = { W: matrixFrom('float64', 1, 2, W0) };
    const grads = { W: matrixFrom('float64', 1, 2, g) };
    opt.update(params, grads);
    opt.update(params, grads);
    // v2 = 0.5 * -0.05 - 0.05 = -0.075; W = 1 - 0.05 - 0.075
    expect(params.W.data[0]).toBeCloseTo(0.875, 15);
    const adam = createOptimizer(k, { optimizer: 'adam', lr: 0.01, beta1: 0.5, beta2: 0.5 });
    const p2 = { W: matrixFrom('float64', 1, 2, W0) };
    adam.update(p2, grads);
    // m = 0.5 g, v = 0.5 g^2, lr_t = 0.01 sqrt(0.5) / 0.5: the step is again lr * |g| / (|g| + eps * ...)
    expect(p2.W.data[0]).toBeCloseTo(1 - (0.01 * Math.sqrt(0.5) / 0.5) * 0.25 / (Math.sqrt(0.125) + 1e-7), 15);
  });
});

describe('optimizers: each reduces the loss on a small fixed problem', () => {
  // 40 points in 6 dimensions, labelled by which of 3 fixed directions they are closest to.
  const rng = new Rng(9);
  const N = 40, D = 6, C = 3;
  const x = matrixFrom('float64', N, D);
  for (let i = 0; i < x.data.length; i++) x.data[i] = rng.normal();
  const t = new Uint8Array(N);
  for (let i = 0; i < N; i++) {
    const s = [x.data[i * D] + x.data[i * D + 1], x.data[i * D + 2] - x.data[i * D + 3], x.data[i * D + 4]];
    t[i] = s.indexOf(Math.max(...s));
  }
  const lr: Record<OptimizerName, number> = { sgd: 0.5, momentum: 0.1, adagrad: 0.1, adam: 0.01, nesterov: 0.1, rmsprop: 0.01 };

  for (const name of OPTIMIZER_NAMES) {
    it(`${name}: 100 full-batch steps at least halve the loss, deterministically`, () => {
      const run = () => {
        const net = buildNetwork(k, new Rng(4), { inputSize: D, hidden: [16], outputSize: C, activation: 'relu', init: 'he', weightInitStd: 0.01 });
        const opt = createOptimizer(k, { optimizer: name, lr: lr[name] });
        const before = net.loss(x, t);
        for (let i = 0; i < 100; i++) opt.update(net.params, net.gradient(x, t));
        return { before, after: net.loss(x, t) };
      };
      const r = run();
      expect(r.after).toBeLessThan(r.before / 2);
      expect(run().after).toBe(r.after);
    });
  }
});

describe('optimizers on the fast backends', () => {
  // The same 20 full-batch Adam steps on the reference kernels and on the project's backends:
  // js gives the reference's numbers bit for bit; auto (WebAssembly for float32) stays within
  // float32 round-off of them.
  const rng = new Rng(10);
  const N = 30, D = 12, C = 4;
  const x32 = matrixFrom('float32', N, D);
  for (let i = 0; i < x32.data.length; i++) x32.data[i] = rng.uniform();
  const t = new Uint8Array(N).map((_, i) => i % C);
  const spec = { inputSize: D, hidden: [10, 8], outputSize: C, activation: 'relu', init: 'he', weightInitStd: 0.01 } as const;

  async function trained(kernelsP: Promise<Kernels> | Kernels, name: OptimizerName) {
    const kernels = await kernelsP;
    const net = buildNetwork(kernels, new Rng(3), spec);
    const x = kernels.alloc(N, D);
    x.data.set(x32.data);
    const opt = createOptimizer(kernels, { optimizer: name, lr: name === 'sgd' ? 0.1 : 0.01 });
    for (let i = 0; i < 20; i++) opt.update(net.params, net.gradient(x, t));
    return Array.from(net.params.W1.data);
  }

  for (const name of OPTIMIZER_NAMES) {
    it(`${name}: js is bit-identical to the reference, auto within float32 round-off`, async () => {
      const want = await trained(referenceKernels('float32'), name);
      expect(await trained(createKernels({ dtype: 'float32', backend: 'js' }), name)).toEqual(want);
      const auto = await trained(createKernels({ dtype: 'float32', backend: 'auto', threads: 1 }), name);
      auto.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-4));
    });
  }
});
