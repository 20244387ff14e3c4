import { describe, expect, it } from 'vitest';
import { loadBundled } from '../../src/data/bundled.js';
import { createKernels } from '../../src/kernels/index.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import { parseLayerSpec } from '../../src/network/layer-spec.js';
import { SequentialNet } from '../../src/network/sequential-net.js';
import { Rng } from '../../src/tensor/rng.js';
import { firstImages } from '../../src/train/trainer.js';
import { forwardOps } from '../../src/train/evaluate.js';

// A convnet's ops scored over a set: on one thread or split with a worker, the same count;
// and the count the reference kernels give, but for float32 round-off at a near tie.

// (2,000 images or more, or the kernels count on one thread anyway.)
const set = firstImages(loadBundled('mnist-10k').train, 2400);
const SPEC = 'conv:6x5,relu,pool:2,conv:8x3p1,relu,pool:2,affine:30,relu,dropout:0.5,affine:10';

describe('counting correct images with conv ops', () => {
  it('two threads count what one counts; the reference agrees within a few images', async () => {
    const counts: number[] = [];
    for (const threads of [1, 2]) {
      const k = await createKernels({ threads, backend: 'wasm' });
      const net = new SequentialNet(k, { parts: parseLayerSpec(SPEC), input: { C: 1, H: 28, W: 28 }, classes: 10 }, { rng: new Rng(1), init: 'he', weightInitStd: 0.01 });
      counts.push(k.countCorrectImages(forwardOps(net), k.loadImages(set)));
      await k.close();
    }
    expect(counts[1]).toBe(counts[0]);
    const ref = referenceKernels('float64');
    const net = new SequentialNet(ref, { parts: parseLayerSpec(SPEC), input: { C: 1, H: 28, W: 28 }, classes: 10 }, { rng: new Rng(1), init: 'he', weightInitStd: 0.01 });
    expect(Math.abs(ref.countCorrectImages(forwardOps(net), ref.loadImages(set)) - counts[0])).toBeLessThanOrEqual(3);
  });
});

/** A wasm backend, and random (r, c) matrices in it: normal values, each zero with probability `zeros`. */
async function randomWasm(seed: number) {
  const { wasmKernels } = await import('../../src/kernels/wasm.js');
  const k = wasmKernels();
  const rng = new Rng(seed);
  const rnd = (r: number, c: number, zeros = 0, scale = 1) => {
    const m = k.alloc(r, c);
    for (let i = 0; i < m.data.length; i++) m.data[i] = rng.uniform() < zeros ? 0 : scale * rng.normal();
    return m;
  };
  return { k, rnd };
}

describe('the dense products behind the Affine on the wasm backend', () => {
  it('gives the plain kernel matmul bit for bit, and leaves the pixel scale table alone', async () => {
    const { k, rnd } = await randomWasm(2);
    for (const [N, D, H] of [[100, 50, 10], [100, 4320, 100], [7, 33, 13]]) {
      const A = rnd(N, D, 0.5), B = rnd(D, H), plain = k.alloc(N, H), out = k.alloc(N, H);
      k.exports.matmul(plain.data.byteOffset, A.data.byteOffset, B.data.byteOffset, 0, N, D, H);
      k.matmul(out, A, B);
      expect([...out.data]).toEqual([...plain.data]);
      // The Affine's gradients: dW = A^T · dout and dx = dout · B^T, as the plain kernels give them.
      const dout = rnd(N, H), dW = k.alloc(D, H), plainDW = k.alloc(D, H), dx = k.alloc(N, D), plainDx = k.alloc(N, D);
      k.exports.matmulTransA(plainDW.data.byteOffset, A.data.byteOffset, dout.data.byteOffset, N, D, H);
      k.matmulTransA(dW, A, dout);
      expect([...dW.data]).toEqual([...plainDW.data]);
      const Bt = k.heap.allocBytes((H * ((D + 3) & ~3) + 28) * 4); // W^T with rows padded to 4 floats, as the plain kernel wants
      k.exports.matmulTransB(plainDx.data.byteOffset, dout.data.byteOffset, B.data.byteOffset, N, H, D, Bt);
      k.matmulTransB(dx, dout, B);
      expect([...dx.data]).toEqual([...plainDx.data]);
    }
    // The sparse first layer reads pixels through the scale table: an image's product must
    // still equal the one from its dense pixels.
    const x = k.allocImages(5, 784);
    k.gatherImages(x, k.loadImages(set), Int32Array.from([0, 1, 2, 3, 4]));
    const W = rnd(784, 16), sparseOut = k.alloc(5, 16), denseOut = k.alloc(5, 16);
    k.matmul(sparseOut, x, W);
    k.matmul(denseOut, k.denseImages(x), W);
    expect(sparseOut.data.some((v) => v !== 0)).toBe(true);
    for (let i = 0; i < 80; i++) expect(sparseOut.data[i]).toBeCloseTo(denseOut.data[i], 4);
  });
});

describe("Adam's step on the wasm backend", () => {
  it('gives the five plain kernels (scale, axpy, scale, addSquare, adaptiveStep) bit for bit', async () => {
    const { k, rnd } = await randomWasm(5);
    const rows = 37, cols = 101; // 3737 values: not a multiple of 4
    const copy = (a: { data: Float32Array }) => {
      const m = k.alloc(rows, cols);
      m.data.set(a.data);
      return m;
    };
    const [p, m, g] = [rnd(rows, cols), rnd(rows, cols, 0, 0.1), rnd(rows, cols, 0, 0.3)];
    const v = rnd(rows, cols, 0, 0.1);
    for (let i = 0; i < v.data.length; i++) v.data[i] *= v.data[i];
    const [p2, m2, v2] = [copy(p), copy(m), copy(v)];
    for (const t of [1, 2, 3]) {
      const h = { beta1: 0.9, beta2: 0.999, lrT: (0.001 * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t), eps: 1e-7 };
      k.adamStep(p, m, v, g, h);
      k.scale(m2, h.beta1);
      k.axpy(m2, 1 - h.beta1, g);
      k.scale(v2, h.beta2);
      k.addSquare(v2, 1 - h.beta2, g);
      k.adaptiveStep(p2, h.lrT, m2, v2, h.eps);
    }
    expect([...m.data]).toEqual([...m2.data]);
    expect([...v.data]).toEqual([...v2.data]);
    expect([...p.data]).toEqual([...p2.data]);
    expect(p.data.some((x, i) => x !== 0 && g.data[i] !== 0)).toBe(true);
  });
});
