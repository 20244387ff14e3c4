import { beforeAll, describe, expect, it } from 'vitest';
import { col2im, convBackward, convForward, convOutputSize, im2col, maxPoolBackward, maxPoolForward, type ConvShape, type FilterShape } from '../../src/kernels/conv-reference.js';
import { convWasm, type ConvWasm } from '../../src/kernels/conv-wasm.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import type { Matrix } from '../../src/tensor/matrix.js';
import { Rng } from '../../src/tensor/rng.js';
import { expectClose } from '../support/kernels.js';

// The convolution and pooling kernels: the reference against hand-worked cases and central
// differences, the WebAssembly kernels against the reference, and every split of a call's
// range against the whole call, bit for bit.

const f64 = (values: number[]) => Float64Array.from(values);

describe('im2col and col2im (reference)', () => {
  it('unrolls a 3x3 image into its 2x2 windows, row by row', () => {
    const s: ConvShape = { N: 1, C: 1, H: 3, W: 3, FH: 2, FW: 2, stride: 1, pad: 0 };
    const col = new Float64Array(4 * 4); // col: (1*2*2, 1*2*2)
    im2col(col, f64([1, 2, 3, 4, 5, 6, 7, 8, 9]), s);
    expect([...col]).toEqual([1, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9]);
    const dx = new Float64Array(9);
    col2im(dx, new Float64Array(16).fill(1), s);
    expect([...dx]).toEqual([1, 2, 1, 2, 4, 2, 1, 2, 1]); // how many windows see each pixel
  });

  it('pads with zeros and strides', () => {
    const s: ConvShape = { N: 1, C: 1, H: 2, W: 2, FH: 2, FW: 2, stride: 2, pad: 1 };
    expect(convOutputSize(s)).toEqual({ OH: 2, OW: 2 });
    const col = new Float64Array(4 * 4);
    im2col(col, f64([1, 2, 3, 4]), s);
    expect([...col]).toEqual([0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0, 0]);
    const dx = new Float64Array(4);
    col2im(dx, col, s);
    expect([...dx]).toEqual([1, 2, 3, 4]); // each pixel seen once, padding dropped
  });

  it('lists channels one after another in a row, images one after another in rows', () => {
    const s: ConvShape = { N: 2, C: 2, H: 2, W: 2, FH: 2, FW: 2, stride: 1, pad: 0 };
    const col = new Float64Array(2 * 8);
    im2col(col, f64([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]), s);
    expect([...col]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  });

  it('names the size that does not fit', () => {
    const s: ConvShape = { N: 1, C: 1, H: 3, W: 3, FH: 2, FW: 2, stride: 2, pad: 0 };
    expect(() => convOutputSize(s)).toThrow(/not a multiple of stride 2/);
    expect(() => convOutputSize({ ...s, FH: 5, stride: 1 })).toThrow(/5-wide window does not fit the padded height 3/);
    expect(() => convOutputSize({ ...s, stride: 0 })).toThrow(/stride must be >= 1, got 0/);
    expect(() => convOutputSize({ ...s, pad: -1, stride: 1 })).toThrow(/pad must be >= 0, got -1/);
    expect(() => convOutputSize({ ...s, C: 1.5, stride: 1 })).toThrow(/C must be an integer, got 1.5/);
    expect(() => im2col(new Float64Array(3), new Float64Array(9), { ...s, stride: 1 })).toThrow(/col .* expected 16 values, got 3/);
  });
});

describe('convolution and pooling (reference)', () => {
  it('convolves as the book does: window · filter + bias', () => {
    const s: FilterShape = { N: 1, C: 1, H: 3, W: 3, FN: 2, FH: 2, FW: 2, stride: 1, pad: 0 };
    const out = new Float64Array(2 * 4);
    // Filter 0 takes the top-left minus the bottom-right pixel; filter 1 sums the window.
    convForward(out, f64([1, 2, 3, 4, 5, 6, 7, 8, 9]), f64([1, 0, 0, -1, 1, 1, 1, 1]), f64([0.5, -1]), s);
    expect([...out]).toEqual([-3.5, -3.5, -3.5, -3.5, 11, 15, 23, 27]);
  });

  it('pools the largest value, the first of ties, padding as zero', () => {
    const s: ConvShape = { N: 1, C: 1, H: 2, W: 4, FH: 2, FW: 2, stride: 2, pad: 1 };
    const out = new Float64Array(6);
    const argmax = new Int32Array(6);
    maxPoolForward(out, argmax, f64([-1, 5, 5, -2, -3, 7, 1, 1]), s);
    // Windows (padding as p): [p, p, p, -1] -> 0 at the padding; [p, p, 5, 5] -> the first 5;
    // [p, p, -2, p] -> 0; [p, -3, p, p] -> 0; [7, 1, p, p] -> 7; [1, p, p, p] -> 1.
    expect([...out]).toEqual([0, 5, 0, 0, 7, 1]);
    expect([...argmax]).toEqual([-1, 1, -1, -1, 5, 7]);
    const dx = new Float64Array(8);
    maxPoolBackward(dx, f64([10, 20, 30, 40, 50, 60]), argmax, s);
    expect([...dx]).toEqual([0, 20, 0, 0, 0, 50, 0, 60]);
  });

  const GRAD_SHAPES: FilterShape[] = [
    { N: 2, C: 2, H: 5, W: 4, FN: 3, FH: 3, FW: 2, stride: 1, pad: 1 },
    { N: 1, C: 1, H: 7, W: 7, FN: 2, FH: 3, FW: 3, stride: 2, pad: 2 },
  ];
  it.each(GRAD_SHAPES)('convBackward matches central differences (%o)', (s) => {
    const rng = new Rng(3);
    const { OH, OW } = convOutputSize(s);
    const K = s.C * s.FH * s.FW, D = s.C * s.H * s.W, P = OH * OW;
    const x = randomArray(rng, s.N * D), W = randomArray(rng, s.FN * K), b = randomArray(rng, s.FN);
    const G = randomArray(rng, s.N * s.FN * P); // dL/dout for L = sum(out * G)
    const L = () => {
      const out = new Float64Array(s.N * s.FN * P);
      convForward(out, x, W, b, s);
      return out.reduce((sum, v, i) => sum + v * G[i], 0);
    };
    const grads = { dW: new Float64Array(s.FN * K), db: new Float64Array(s.FN), dx: new Float64Array(s.N * D) };
    convBackward(grads, G, x, W, s);
    expect(maxNumericalError(L, W, grads.dW)).toBeLessThan(1e-7);
    expect(maxNumericalError(L, b, grads.db)).toBeLessThan(1e-7);
    expect(maxNumericalError(L, x, grads.dx)).toBeLessThan(1e-7);
  });

  it('maxPoolBackward matches central differences', () => {
    const rng = new Rng(4);
    for (const s of [
      { N: 2, C: 2, H: 6, W: 4, FH: 2, FW: 2, stride: 2, pad: 0 },
      { N: 1, C: 1, H: 5, W: 5, FH: 3, FW: 3, stride: 1, pad: 1 }, // overlapping windows
    ]) {
      const { OH, OW } = convOutputSize(s);
      const Q = s.C * OH * OW;
      const x = randomArray(rng, s.N * s.C * s.H * s.W);
      const G = randomArray(rng, s.N * Q);
      const argmax = new Int32Array(s.N * Q);
      const L = () => {
        const out = new Float64Array(s.N * Q);
        maxPoolForward(out, argmax, x, s);
        return out.reduce((sum, v, i) => sum + v * G[i], 0);
      };
      L();
      const dx = new Float64Array(x.length);
      maxPoolBackward(dx, G, argmax.slice(), s);
      expect(maxNumericalError(L, x, dx)).toBeLessThan(1e-7);
    }
  });
});

// (N, C, H, W, FN, FH, FW, stride, pad): the book's first layer, strides, padding, 1x1
// filters, non-square images and filters, batches of 1 and 7, several channels.
const CONV_SHAPES: FilterShape[] = [
  [1, 1, 5, 5, 1, 3, 3, 1, 0],
  [2, 1, 28, 28, 30, 5, 5, 1, 0],
  [7, 3, 9, 7, 5, 3, 3, 2, 2],
  [7, 2, 6, 5, 4, 1, 1, 1, 0],
  [3, 16, 8, 8, 16, 3, 3, 1, 1],
  [1, 3, 7, 9, 6, 2, 4, 1, 2],
  [4, 2, 11, 13, 9, 5, 3, 2, 1],
  [2, 5, 4, 6, 33, 4, 6, 1, 0],
].map(([N, C, H, W, FN, FH, FW, stride, pad]) => ({ N, C, H, W, FN, FH, FW, stride, pad }));

describe('WebAssembly convolution kernels vs reference', () => {
  let k: ConvWasm;
  beforeAll(() => {
    k = convWasm();
  });

  describe.each(CONV_SHAPES)('shape %o', (s) => {
    const { OH, OW } = convOutputSize(s);
    const K = s.C * s.FH * s.FW, D = s.C * s.H * s.W, P = OH * OW;
    const rng = new Rng(11);
    const x = randomArray(rng, s.N * D, 0.7); // 70% zeros, as an MNIST batch
    const W = randomArray(rng, s.FN * K), b = randomArray(rng, s.FN);
    const dout = randomArray(rng, s.N * s.FN * P, 0.8);

    it('forward, dense and sparse: the reference to float32 round-off, each other bit for bit', () => {
      const want = new Float64Array(s.N * s.FN * P);
      convForward(want, f32(x), f32(W), f32(b), s);
      const [xm, Wm, bm] = [toWasm(k, x, s.N, D), toWasm(k, W, s.FN, K), toWasm(k, b, 1, s.FN)];
      const dense = k.alloc(s.N, s.FN * P), sparse = k.alloc(s.N, s.FN * P);
      k.convForward(dense, xm, Wm, bm, s);
      k.convForward(sparse, xm, Wm, bm, s, { sparse: true });
      expectClose(dense.data, want, 1e-5, Math.sqrt(K), 'dense');
      expect(sameBits(sparse.data, dense.data)).toBe(true);
      // Any split by images gives the same bits.
      const parts = k.alloc(s.N, s.FN * P), partsSparse = k.alloc(s.N, s.FN * P);
      for (const [n0, n1] of splits(s.N)) {
        k.convForward(parts, xm, Wm, bm, s, { images: [n0, n1] });
        k.convForward(partsSparse, xm, Wm, bm, s, { images: [n0, n1], sparse: true });
      }
      expect(sameBits(parts.data, dense.data)).toBe(true);
      expect(sameBits(partsSparse.data, dense.data)).toBe(true);
    });

    it('weight, bias and input gradients: the reference to float32 round-off; splits bit for bit', () => {
      const want = { dW: new Float64Array(s.FN * K), db: new Float64Array(s.FN), dx: new Float64Array(s.N * D) };
      convBackward(want, f32(dout), f32(x), f32(W), s);
      const [xm, Wm, dm] = [toWasm(k, x, s.N, D), toWasm(k, W, s.FN, K), toWasm(k, dout, s.N, s.FN * P)];
      const dW = k.alloc(s.FN, K), db = k.alloc(1, s.FN), dx = k.alloc(s.N, D);
      k.convWeightGrad(dW, xm, dm, s);
      k.convBiasGrad(db, dm, s);
      k.convInputGrad(dx, dm, Wm, s);
      const terms = Math.sqrt(s.N * P);
      expectClose(dW.data, want.dW, 1e-5, terms, 'dW');
      expectClose(db.data, want.db, 1e-5, terms, 'db');
      expectClose(dx.data, want.dx, 1e-5, Math.sqrt(s.FN * K), 'dx');
      const dW2 = k.alloc(s.FN, K), db2 = k.alloc(1, s.FN), dx2 = k.alloc(s.N, D);
      for (const [f0, f1] of splits(s.FN)) {
        k.convWeightGrad(dW2, xm, dm, s, { filters: [f0, f1] });
        k.convBiasGrad(db2, dm, s, [f0, f1]);
      }
      for (const [n0, n1] of splits(s.N)) k.convInputGrad(dx2, dm, Wm, s, [n0, n1]);
      expect(sameBits(dW2.data, dW.data)).toBe(true);
      expect(sameBits(db2.data, db.data)).toBe(true);
      expect(sameBits(dx2.data, dx.data)).toBe(true);
    });
  });

  // The fused first block: stride 1 convolutions with even activations (the book's first
  // layer, several channels, padding, a pooled width below the 4-wide block).
  const FUSED_SHAPES: FilterShape[] = [
    [2, 1, 28, 28, 30, 5, 5, 1, 0],
    [3, 2, 9, 9, 4, 2, 2, 1, 0],
    [1, 1, 10, 14, 7, 3, 5, 1, 1],
    [7, 1, 12, 8, 5, 5, 3, 1, 0],
    [2, 1, 20, 18, 33, 3, 3, 1, 1], // several bands of rows; filters past a multiple of 8
  ].map(([N, C, H, W, FN, FH, FW, stride, pad]) => ({ N, C, H, W, FN, FH, FW, stride, pad }));

  it.each(FUSED_SHAPES)('convolution -> ReLU -> 2x2 pooling fused: the three kernels\' numbers (%o)', (s) => {
    const { OH, OW } = convOutputSize(s);
    const K = s.C * s.FH * s.FW, D = s.C * s.H * s.W, P = OH * OW, PQ = (OH / 2) * (OW / 2);
    const pool: ConvShape = { N: s.N, C: s.FN, H: OH, W: OW, FH: 2, FW: 2, stride: 2, pad: 0 };
    const rng = new Rng(13);
    const [xm, Wm, bm] = [toWasm(k, randomArray(rng, s.N * D, 0.7), s.N, D), toWasm(k, randomArray(rng, s.FN * K), s.FN, K), toWasm(k, randomArray(rng, s.FN), 1, s.FN)];
    // Unfused: convolution, ReLU, pooling.
    const a = k.alloc(s.N, s.FN * P);
    k.convForward(a, xm, Wm, bm, s);
    const r = k.alloc(s.N, s.FN * P);
    r.data.set(a.data.map((v) => (v > 0 ? v : 0)));
    const want = k.alloc(s.N, s.FN * PQ), wantArg = k.int32(s.N * s.FN * PQ);
    k.maxPoolForward(want, wantArg, r, pool);
    const pooled = k.alloc(s.N, s.FN * PQ), argmax = k.int32(s.N * s.FN * PQ);
    for (const [n0, n1] of splits(s.N)) k.convReluPoolForward(pooled, argmax, xm, Wm, bm, s, [n0, n1]);
    expect(sameBits(pooled.data, want.data)).toBe(true);
    expect([...argmax]).toEqual([...wantArg]);
    // At inference, without an argmax: the same values.
    const inferred = k.alloc(s.N, s.FN * PQ);
    k.convReluPoolForward(inferred, null, xm, Wm, bm, s);
    expect(sameBits(inferred.data, want.data)).toBe(true);
    if (s.pad !== 0) return; // (the fused gradient is for the first layer's shape)

    // Backward: the pooled gradient routed back and masked, then the unfused kernels.
    const dpooled = toWasm(k, randomArray(rng, s.N * s.FN * PQ, 0.2), s.N, s.FN * PQ);
    const dr = k.alloc(s.N, s.FN * P);
    k.maxPoolBackward(dr, dpooled, argmax, pool);
    const da = k.alloc(s.N, s.FN * P);
    da.data.set(dr.data.map((v, i) => (a.data[i] > 0 ? v : 0)));
    const dWwant = k.alloc(s.FN, K), dbWant = k.alloc(1, s.FN);
    k.convWeightGrad(dWwant, xm, da, s);
    k.convBiasGrad(dbWant, da, s);
    // The same bits as the unfused kernels, over any split of the filters; the weights' alone without a db.
    const dW = k.alloc(s.FN, K), db = k.alloc(1, s.FN);
    k.convWeightGradPooled(dW, db, xm, dpooled, pooled, argmax, s);
    expect(sameBits(dW.data, dWwant.data) && sameBits(db.data, dbWant.data)).toBe(true);
    const dW2 = k.alloc(s.FN, K), db2 = k.alloc(1, s.FN);
    for (const [f0, f1] of splits(s.FN)) k.convWeightGradPooled(dW2, db2, xm, dpooled, pooled, argmax, s, { filters: [f0, f1] });
    expect(sameBits(dW2.data, dW.data) && sameBits(db2.data, db.data)).toBe(true);
    const dW3 = k.alloc(s.FN, K);
    k.convWeightGradPooled(dW3, null, xm, dpooled, pooled, argmax, s);
    expect(sameBits(dW3.data, dW.data)).toBe(true);
  });

  it('the fused block names the shapes it cannot take', () => {
    const s: FilterShape = { N: 1, C: 1, H: 9, W: 9, FN: 2, FH: 3, FW: 3, stride: 2, pad: 0 };
    const x = k.alloc(1, 81), W = k.alloc(2, 9), b = k.alloc(1, 2);
    expect(() => k.convReluPoolForward(k.alloc(1, 8), k.int32(8), x, W, b, s)).toThrow(/needs stride 1, got 2/);
    expect(() => k.convReluPoolForward(k.alloc(1, 8), k.int32(8), x, W, b, { ...s, stride: 1 })).toThrow(/even activations, got 7x7/);
    const t: FilterShape = { ...s, stride: 1, pad: 1, FH: 2, FW: 2 }; // 10x10 activations
    const pooled = k.alloc(1, 50);
    expect(() => k.convWeightGradPooled(k.alloc(2, 4), null, x, pooled, pooled, k.int32(50), t)).toThrow(/needs pad 0, C\*FH <= 5 and FW <= 8, got pad 1/);
  });

  // Windows: the fast 2x2 stride 2 path (with a tail of outputs), overlapping windows,
  // padding that wins over negative values, non-square windows.
  const POOL_SHAPES: ConvShape[] = [
    [2, 3, 8, 8, 2, 2, 2, 0],
    [3, 30, 24, 24, 2, 2, 2, 0],
    [1, 1, 6, 10, 2, 2, 2, 0],
    [2, 2, 5, 5, 2, 2, 1, 0],
    [3, 2, 9, 7, 3, 3, 2, 1],
    [1, 2, 6, 9, 2, 3, 2, 1],
  ].map(([N, C, H, W, FH, FW, stride, pad]) => ({ N, C, H, W, FH, FW, stride, pad }));

  it.each(POOL_SHAPES)('max-pooling forward and backward equal the reference exactly (%o)', (s) => {
    const { OH, OW } = convOutputSize(s);
    const Q = s.C * OH * OW, D = s.C * s.H * s.W;
    const rng = new Rng(5);
    // Few distinct values: many ties, all-negative windows.
    const x = Float64Array.from({ length: s.N * D }, () => rng.int(5) - 2.5);
    const dout = randomArray(rng, s.N * Q);
    const out = new Float64Array(s.N * Q), argmax = new Int32Array(s.N * Q), dx = new Float64Array(s.N * D);
    maxPoolForward(out, argmax, x, s);
    maxPoolBackward(dx, f32(dout), argmax, s);
    const xm = toWasm(k, x, s.N, D), dm = toWasm(k, dout, s.N, Q);
    const outW = k.alloc(s.N, Q), argW = k.int32(s.N * Q), dxW = k.alloc(s.N, D);
    k.maxPoolForward(outW, argW, xm, s);
    k.maxPoolBackward(dxW, dm, argW, s);
    expect([...argW]).toEqual([...argmax]);
    expect([...outW.data]).toEqual([...out]);
    expectClose(dxW.data, dx, 1e-6, 1, 'dx');
    const outS = k.alloc(s.N, Q), argS = k.int32(s.N * Q), dxS = k.alloc(s.N, D);
    for (const [n0, n1] of splits(s.N)) {
      k.maxPoolForward(outS, argS, xm, s, [n0, n1]);
      k.maxPoolBackward(dxS, dm, argS, s, [n0, n1]);
    }
    expect(sameBits(outS.data, outW.data) && sameBits(dxS.data, dxW.data)).toBe(true);
    expect([...argS]).toEqual([...argW]);
  });

  it('pooling lets NaN win, as np.max does', () => {
    const s: ConvShape = { N: 1, C: 1, H: 2, W: 8, FH: 2, FW: 2, stride: 2, pad: 0 };
    const x = toWasm(k, f64([1, NaN, 3, 4, 5, 6, 7, 8, 9, 10, 11, NaN, 13, 14, 15, 16]), 1, 16);
    const out = k.alloc(1, 4), argmax = k.int32(4);
    k.maxPoolForward(out, argmax, x, s);
    expect([...out.data]).toEqual([NaN, NaN, 14, 16]);
    expect([...argmax]).toEqual([1, 11, 13, 15]);
    const ref = new Float64Array(4), refArg = new Int32Array(4);
    maxPoolForward(ref, refArg, x.data, s);
    expect([...ref]).toEqual([...out.data]);
    expect([...refArg]).toEqual([...argmax]);
  });

  // (M, K, N): blocks of 4 rows and 8 columns with remainders, chunks of 256 along K,
  // panels of 64 columns, the book's Affine shapes (smaller batch).
  const GEMM_SHAPES = [
    [1, 1, 1],
    [3, 5, 7],
    [4, 8, 8],
    [9, 300, 13],
    [13, 600, 70],
    [6, 4320, 100],
    [10, 100, 10],
    [5, 17, 65],
  ];
  it.each(GEMM_SHAPES)('sgemm NN, TN, NT (%i x %i x %i): the reference to float32 round-off; row splits bit for bit', (M, K, N) => {
    const ref = referenceKernels('float64');
    const rng = new Rng(M * 1000 + K);
    const A = randomArray(rng, M * K, 0.3), B = randomArray(rng, K * N), Bn = randomArray(rng, N * K), At = randomArray(rng, K * M);
    const mat = (data: Float64Array, rows: number, cols: number): Matrix => ({ rows, cols, data: f32(data) });
    const want = ref.alloc(M, N), wantTN = ref.alloc(M, N), wantNT = ref.alloc(M, N);
    ref.matmul(want, mat(A, M, K), mat(B, K, N));
    ref.matmulTransA(wantTN, mat(At, K, M), mat(B, K, N)); // (M,N) = At^T (M,K) · B (K,N)
    ref.matmulTransB(wantNT, mat(A, M, K), mat(Bn, N, K));
    const [Am, Bm, Bnm, Atm] = [toWasm(k, A, M, K), toWasm(k, B, K, N), toWasm(k, Bn, N, K), toWasm(k, At, K, M)];
    const C = k.alloc(M, N), CT = k.alloc(M, N), CN = k.alloc(M, N);
    k.sgemmNN(C, Am, Bm);
    k.sgemmTN(CT, Atm, Bm);
    k.sgemmNT(CN, Am, Bnm);
    const tol = 1e-5, scale = Math.sqrt(K);
    expectClose(C.data, want.data, tol, scale, 'NN');
    expectClose(CT.data, wantTN.data, tol, scale, 'TN');
    expectClose(CN.data, wantNT.data, tol, scale, 'NT');
    // Accumulating: C += A · B gives 2 A · B to round-off.
    k.sgemmNN(C, Am, Bm, undefined, true);
    expectClose(C.data, want.data.map((v) => 2 * v), tol, 2 * scale, 'NN accumulate');
    k.sgemmTN(CT, Atm, Bm, undefined, true);
    expectClose(CT.data, wantTN.data.map((v) => 2 * v), tol, 2 * scale, 'TN accumulate');
    const S = k.alloc(M, N), ST = k.alloc(M, N), SN = k.alloc(M, N), Bt = k.alloc(K, N);
    k.transpose(Bt, Bnm);
    for (const [r0, r1] of splits(M)) {
      k.sgemmNN(S, Am, Bm, [r0, r1]);
      k.sgemmTN(ST, Atm, Bm, [r0, r1]);
      k.sgemmNT(SN, Am, Bnm, [r0, r1], Bt);
    }
    k.sgemmNN(C, Am, Bm);
    k.sgemmTN(CT, Atm, Bm);
    expect(sameBits(S.data, C.data) && sameBits(ST.data, CT.data) && sameBits(SN.data, CN.data)).toBe(true);
  });

  it("adamUpdate: the book's Adam step to float32 round-off, splits bit for bit", () => {
    const rng = new Rng(21);
    const rows = 29, cols = 149; // 4321 values: a tail past the 4-float blocks
    const h = { beta1: 0.9, beta2: 0.999, lrT: 0.001 * Math.sqrt(1 - 0.999 ** 3) / (1 - 0.9 ** 3), eps: 1e-7 };
    const [p, m, g] = [randomArray(rng, rows * cols), randomArray(rng, rows * cols, 0.1), randomArray(rng, rows * cols, 0.3)];
    const v = randomArray(rng, rows * cols).map((x) => x * x);
    const [pw, mw, vw, gw] = [toWasm(k, p, rows, cols), toWasm(k, m, rows, cols), toWasm(k, v, rows, cols), toWasm(k, g, rows, cols)];
    const copies = [pw, mw, vw].map((a) => toWasm(k, Float64Array.from(a.data), rows, cols));
    k.adamUpdate(pw, mw, vw, gw, h);
    const [pf, mf, vf, gf] = [p, m, v, g].map(f32);
    const mWant = mf.map((x, i) => h.beta1 * x + (1 - h.beta1) * gf[i]);
    const vWant = vf.map((x, i) => h.beta2 * x + (1 - h.beta2) * gf[i] * gf[i]);
    const pWant = pf.map((x, i) => x - (h.lrT * mWant[i]) / (Math.sqrt(vWant[i]) + h.eps));
    expectClose(mw.data, mWant, 1e-6, 1, 'm');
    expectClose(vw.data, vWant, 1e-6, 1, 'v');
    expectClose(pw.data, pWant, 1e-6, 1, 'p');
    const n = rows * cols;
    for (const [i0, i1] of [[0, 1001], [1001, 4000], [4000, n]] as const) k.adamUpdate(copies[0], copies[1], copies[2], gw, h, [i0, i1]);
    expect(sameBits(copies[0].data, pw.data) && sameBits(copies[1].data, mw.data) && sameBits(copies[2].data, vw.data)).toBe(true);
  });

  it('refuses matrices from elsewhere and ranges outside the shape', () => {
    const a = k.alloc(2, 3), b = k.alloc(3, 4), c = k.alloc(2, 4);
    expect(() => k.sgemmNN(c, { rows: 2, cols: 3, data: new Float32Array(6) }, b)).toThrow(/allocated by this backend/);
    expect(() => k.sgemmNN(c, a, b, [1, 3])).toThrow(/rows: range \[1, 3\) is not inside \[0, 2\)/);
    expect(() => k.sgemmNN(k.alloc(3, 4), a, b)).toThrow(/sgemmNN C: expected shape \(2, 4\), got \(3, 4\)/);
  });
});

// ---- helpers ----------------------------------------------------------------------------

/** N(0, 1) values, a fraction `zeros` of them exactly 0. */
function randomArray(rng: Rng, n: number, zeros = 0): Float64Array {
  return Float64Array.from({ length: n }, () => (rng.uniform() < zeros ? 0 : rng.normal()));
}

/** The values rounded to float32 (what the fast kernels see), as float64. */
function f32(a: Float64Array): Float64Array {
  return Float64Array.from(Float32Array.from(a));
}

function toWasm(k: ConvWasm, a: Float64Array, rows: number, cols: number): Matrix {
  const m = k.alloc(rows, cols);
  m.data.set(a);
  return m;
}

function sameBits(a: Float32Array | Float64Array, b: Float32Array | Float64Array): boolean {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength), y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** A range [0, n) cut in three uneven parts (some empty when n is small). */
function splits(n: number): [number, number][] {
  const a = Math.floor(n / 3), b = Math.max(a, n - 1);
  return [
    [0, a],
    [a, b],
    [b, n],
  ];
}

/** Largest |numerical - analytic| over the entries of `param`, by central differences in float64. */
function maxNumericalError(L: () => number, param: Float64Array, analytic: Float64Array): number {
  const h = 1e-5;
  let worst = 0;
  for (let i = 0; i < param.length; i++) {
    const saved = param[i];
    param[i] = saved + h;
    const up = L();
    param[i] = saved - h;
    const down = L();
    param[i] = saved;
    worst = Math.max(worst, Math.abs((up - down) / (2 * h) - analytic[i]));
  }
  return worst;
}
