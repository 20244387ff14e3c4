import { describe, expect, it } from 'vitest';
import { wasmKernels } from '../../src/kernels/wasm.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { Convolution } from '../../src/layers/convolution.js';
import { Pooling } from '../../src/layers/pooling.js';
import { matrixFrom } from '../../src/tensor/matrix.js';
import { Rng } from '../../src/tensor/rng.js';
import { kernels64, maxGradientError, randomMatrix } from '../support/gradient-check.js';
import { copyTo, expectClose, randomOf, syntheticImages } from '../support/kernels.js';

const rng = new Rng(7);

function conv(k: Kernels, FN: number, C: number, H: number, F: number, stride: number, pad: number, r = rng): Convolution {
  const shape = { C, H, W: H, FN, FH: F, FW: F, stride, pad };
  return new Convolution(k, randomOf(k, r, FN, C * F * F), randomOf(k, r, 1, FN), shape);
}

describe('Convolution and Pooling backward match numerical gradients of forward (float64)', () => {
  it.each([
    [2, 1, 5, 3, 1, 0],
    [3, 2, 6, 3, 1, 1],
    [2, 2, 7, 3, 2, 2],
  ])('Convolution %i filters over %i channels of %ix%i, %ix%i stride %i pad %i: dx, dW and db', (FN, C, H, F, stride, pad) => {
    const layer = conv(kernels64, FN, C, H, F, stride, pad);
    expect(maxGradientError(layer, randomMatrix(rng, 2, C * H * H))).toBeLessThan(1e-7);
  });

  it.each([
    [1, 4, 2, 2, 0],
    [2, 6, 3, 3, 0],
    [2, 5, 3, 2, 1],
  ])('Pooling over %i channels of %ix%i, %ix%i windows stride %i pad %i', (C, H, F, stride, pad) => {
    const layer = new Pooling(kernels64, { C, H, W: H, FH: F, FW: F, stride, pad });
    expect(maxGradientError(layer, randomMatrix(rng, 3, C * H * H))).toBeLessThan(1e-7);
  });
});

describe('Convolution and Pooling by hand', () => {
  it('a 2x2 filter over a 3x3 image: window · filter + bias, then the max of each 2x2 window', () => {
    const x = matrixFrom('float64', 1, 9, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const layer = new Convolution(kernels64, matrixFrom('float64', 1, 4, [1, 0, 0, 1]), matrixFrom('float64', 1, 1, [0.5]), { C: 1, H: 3, W: 3, FN: 1, FH: 2, FW: 2, stride: 1, pad: 0 });
    const y = layer.forward(x);
    expect([...y.data]).toEqual([6.5, 8.5, 12.5, 14.5]);
    const pool = new Pooling(kernels64, { C: 1, H: 2, W: 2, FH: 2, FW: 2, stride: 2, pad: 0 });
    expect([...pool.forward(y).data]).toEqual([14.5]);
    expect([...pool.backward(matrixFrom('float64', 1, 1, [3])).data]).toEqual([0, 0, 0, 3]); // to the max only
  });

  it('refuses filters that do not match the shape', () => {
    expect(() => new Convolution(kernels64, kernels64.alloc(2, 8), kernels64.alloc(1, 2), { C: 1, H: 4, W: 4, FN: 2, FH: 3, FW: 3, stride: 1, pad: 0 })).toThrow(/W must be \(2, 9\)/);
  });
});

describe('Convolution and Pooling on the WebAssembly backend match the reference', () => {
  it('conv (first layer on a batch of images, then a dense one) -> pool: forward and backward', () => {
    const wasm = wasmKernels();
    const r1 = new Rng(3), r2 = new Rng(3);
    const set = syntheticImages(new Rng(5), 6, 12, 12);
    const build = (k: Kernels, r: Rng) => {
      const c1 = conv(k, 4, 1, 12, 3, 1, 1, r);
      c1.needInputGrad = false;
      return [c1, conv(k, 3, 4, 12, 3, 1, 0, r), new Pooling(k, { C: 3, H: 10, W: 10, FH: 2, FW: 2, stride: 2, pad: 0 })] as const;
    };
    const run = (k: Kernels, r: Rng) => {
      const layers = build(k, r);
      const x = k.allocImages(6, 144);
      k.gatherImages(x, k.loadImages(set), Int32Array.from([0, 1, 2, 3, 4, 5]));
      let h = layers[0].forward(x);
      h = layers[1].forward(h);
      const out = layers[2].forward(h);
      const dout = copyTo(k, randomMatrix(new Rng(9), out.rows, out.cols));
      const d2 = layers[2].backward(dout);
      const d1 = layers[1].backward(d2);
      layers[0].backward(d1);
      return { out: [...out.data], d1: [...d1.data], grads: layers.slice(0, 2).flatMap((l) => [...(l as Convolution).grads.W.data, ...(l as Convolution).grads.b.data]) };
    };
    const ref = run(kernels64, r1);
    const fast = run(wasm, r2);
    expectClose(fast.out, ref.out, 1e-5, 1, 'out');
    expectClose(fast.d1, ref.d1, 1e-5, 1, 'dx');
    expectClose(fast.grads, ref.grads, 1e-4, 1, 'dW, db');
  });
});
