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

describe('the dense product behind affineForward on the wasm backend', () => {
  it('gives the plain kernel matmul bit for bit, and leaves the pixel scale table alone', async () => {
    const { wasmKernels } = await import('../../src/kernels/wasm.js');
    const k = wasmKernels();
    const rng = new Rng(2);
    const rnd = (r: number, c: number, zeros = 0) => {
      const m = k.alloc(r, c);
      for (let i = 0; i < m.data.length; i++) m.data[i] = rng.uniform() < zeros ? 0 : rng.normal();
      return m;
    };
    for (const [N, D, H] of [[100, 50, 10], [100, 4320, 100], [7, 33, 13]]) {
      const A = rnd(N, D, 0.5), B = rnd(D, H), plain = k.alloc(N, H), out = k.alloc(N, H);
      k.exports.matmul(plain.data.byteOffset, A.data.byteOffset, B.data.byteOffset, 0, N, D, H);
      k.matmul(out, A, B);
      expect([...out.data]).toEqual([...plain.data]);
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
