import { beforeAll, describe, expect, it } from 'vitest';
import { jsKernels } from '../../src/kernels/js.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import { touchPages } from '../../src/kernels/threads/touch-pages.js';
import { wasmKernels } from '../../src/kernels/wasm.js';
import { Rng } from '../../src/tensor/rng.js';
import { copyTo, expectClose, randomOf, syntheticImages } from '../support/kernels.js';

// Every fast kernel against the reference: the JS backend must give the reference's numbers
// bit for bit; WebAssembly sums in float32, so it must agree to float32 round-off.

const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 3, 5],
  [7, 13, 5],
  [7, 25, 50], // the 13-vector path (48 < H <= 52)
  [3, 9, 52],
  [2, 11, 49],
  [100, 784, 50], // the book's first layer
  [100, 50, 10], // and its second
  [5, 17, 33], // 16-float blocks and a remainder
  [4, 6, 100],
];

interface Case {
  name: string;
  make: () => Kernels;
  exact: boolean;
}

const CASES: Case[] = [
  { name: 'wasm float32', make: () => wasmKernels(), exact: false },
  { name: 'js float32', make: () => jsKernels('float32'), exact: true },
  { name: 'js float64', make: () => jsKernels('float64'), exact: true },
];

describe.each(CASES)('$name kernels vs reference', ({ make, exact }) => {
  let fast: Kernels;
  let ref: Kernels;
  beforeAll(() => {
    fast = make();
    ref = referenceKernels(fast.dtype);
  });
  const tol = (terms: number) => (exact ? 0 : 4e-7 * Math.max(4, Math.sqrt(terms)) * 4);
  const check = (a: { data: ArrayLike<number> }, b: { data: ArrayLike<number> }, terms: number, what: string) => {
    if (exact) expect(Array.from(a.data), what).toEqual(Array.from(b.data));
    else expectClose(a.data, b.data, tol(terms), 1, what);
  };

  it.each(SHAPES)('products of (%i x %i) by (x %i)', (N, D, H) => {
    const rng = new Rng(N * 1000 + D * 10 + H);
    const x = randomOf(fast, rng, N, D, 1, 0.3); // some exact zeros, as after a ReLU
    const W = randomOf(fast, rng, D, H);
    const b = randomOf(fast, rng, 1, H);
    const dout = randomOf(fast, rng, N, H);
    const [xr, Wr, br, doutr] = [x, W, b, dout].map((m) => copyTo(ref, m));

    const out = fast.alloc(N, H), outr = ref.alloc(N, H);
    fast.matmul(out, x, W);
    ref.matmul(outr, xr, Wr);
    check(out, outr, D, 'matmul');
    fast.affineForward(out, x, W, b);
    ref.affineForward(outr, xr, Wr, br);
    check(out, outr, D, 'affineForward');

    const dW = fast.alloc(D, H), dWr = ref.alloc(D, H);
    fast.matmulTransA(dW, x, dout);
    ref.matmulTransA(dWr, xr, doutr);
    check(dW, dWr, N, 'matmulTransA');

    const dx = fast.alloc(N, D), dxr = ref.alloc(N, D);
    fast.matmulTransB(dx, dout, W);
    ref.matmulTransB(dxr, doutr, Wr);
    check(dx, dxr, H, 'matmulTransB');

    const db = fast.alloc(1, H), dbr = ref.alloc(1, H);
    fast.sumRows(db, dout);
    ref.sumRows(dbr, doutr);
    check(db, dbr, N, 'sumRows');
  });

  it.each([
    [1, 1],
    [7, 10],
    [100, 10],
    [3, 13],
    [2, 3],
  ])('softmax-with-loss kernels on (%i x %i) scores: the reference numbers (bit for bit, or to float32 round-off)', (N, C) => {
    const rng = new Rng(N * 100 + C);
    const x = randomOf(fast, rng, N, C, 8);
    if (C > 2) x.data[1] = x.data[0]; // a tie: the first max wins
    if (N * C === 6) x.data.set([-100, 0, 100, 3, -300, 3]); // exp far below the normal floats
    const xr = copyTo(ref, x);
    const labels = new Uint8Array(N).map(() => rng.int(C));
    labels[0] = 0;
    const oneHot = ref.alloc(N, C);
    labels.forEach((c, i) => (oneHot.data[i * C + c] = 1));
    const y = fast.alloc(N, C), yr = ref.alloc(N, C);
    fast.softmax(y, x);
    ref.softmax(yr, xr);
    if (exact) {
      expect(Array.from(y.data), 'softmax').toEqual(Array.from(yr.data));
    } else {
      // A float32 exp (about an ulp) of x - max taken in float32 (which rounds: a score 30
      // below the max moves its probability, already under 1e-12, by ~2e-6 of itself, and the
      // loss and gradient by nothing measurable): within 2e-6 of each probability plus 1e-12.
      expectClose(y.data, yr.data, 2e-6, 1e-12, 'softmax');
      yr.data.set(y.data); // the loss kernels below are compared on the same probabilities
    }
    for (const t of [labels, oneHot]) {
      expect(fast.crossEntropy(y, t), 'crossEntropy').toBe(ref.crossEntropy(yr, t));
      const dx = fast.alloc(N, C), dxr = ref.alloc(N, C);
      fast.softmaxCrossEntropyBackward(dx, y, t);
      ref.softmaxCrossEntropyBackward(dxr, yr, t);
      expect(Array.from(dx.data), 'softmaxCrossEntropyBackward').toEqual(Array.from(dxr.data));
      expect(fast.countCorrect(x, t), 'countCorrect').toBe(ref.countCorrect(xr, t));
    }
  });

  it.each([1, 3, 4, 7, 50, 1001])('elementwise kernels over %i entries', (n) => {
    const rng = new Rng(n);
    const x = randomOf(fast, rng, 1, n, 1, 0.2);
    if (n > 2) x.data[1] = -0; // the book's mask: -0 is not > 0
    const dout = randomOf(fast, rng, 1, n);
    const [xr, doutr] = [x, dout].map((m) => copyTo(ref, m));
    const y = fast.alloc(1, n), yr = ref.alloc(1, n);
    fast.reluForward(y, x);
    ref.reluForward(yr, xr);
    expect(Array.from(y.data)).toEqual(Array.from(yr.data)); // exact in every backend
    fast.reluBackward(y, dout, x);
    ref.reluBackward(yr, doutr, xr);
    expect(Array.from(y.data)).toEqual(Array.from(yr.data));
    const p = randomOf(fast, rng, 1, n);
    const pr = copyTo(ref, p);
    fast.axpy(p, -0.1, dout);
    ref.axpy(pr, -0.1, doutr);
    check(p, pr, 1, 'axpy');
  });

  it('zero-skipping first layer on images: all-zero rows, odd pixel counts, batches of 1, 7 and 100', () => {
    const rng = new Rng(5);
    for (const [rows, cols, H] of [[5, 5, 7], [5, 5, 50], [28, 28, 50], [3, 7, 13], [4, 4, 100]]) {
      const set = syntheticImages(rng, 120, rows, cols);
      const D = rows * cols;
      const W = randomOf(fast, rng, D, H, 0.1);
      const b = randomOf(fast, rng, 1, H, 0.1);
      const [Wr, br] = [W, b].map((m) => copyTo(ref, m));
      const images = fast.loadImages(set);
      expect(fast.loadImages(set)).toBe(images); // made once per set
      const imagesRef = ref.loadImages(set);
      for (const N of [1, 7, 100]) {
        const indices = new Int32Array(N).map((_, i) => (i === 0 ? 2 : rng.int(set.count))); // image 2 is all zero
        const x = fast.allocImages(N, D), xr = ref.allocImages(N, D);
        fast.gatherImages(x, images, indices);
        ref.gatherImages(xr, imagesRef, indices);
        const out = fast.alloc(N, H), outr = ref.alloc(N, H);
        fast.affineForward(out, x, W, b);
        ref.affineForward(outr, xr, Wr, br);
        check(out, outr, D, `sparse forward (${D} pixels, H ${H}, N ${N})`);
        expect(Array.from(out.data.subarray(0, H)), 'an all-zero image gives the bias').toEqual(Array.from(b.data));
        const dout = randomOf(fast, rng, N, H);
        const dW = randomOf(fast, rng, D, H); // garbage in the output: every entry must be written
        const dWr = ref.alloc(D, H);
        fast.matmulTransA(dW, x, dout);
        ref.matmulTransA(dWr, xr, copyTo(ref, dout));
        check(dW, dWr, N, `sparse weight gradient (${D} pixels, H ${H}, N ${N})`);
        expect(Array.from(fast.denseImages(x).data), 'dense view of a gathered batch').toEqual(Array.from(ref.denseImages(xr).data));

        const start = set.count - N;
        fast.sliceImages(x, images, start);
        ref.sliceImages(xr, imagesRef, start);
        fast.affineForward(out, x, W, b);
        ref.affineForward(outr, xr, Wr, br);
        check(out, outr, D, 'sparse forward on a slice');
      }
    }
  });

  it.each([
    [9, 4], // hidden width below one 16-float block, not a multiple of 4
    [50, 10], // the book's net
    [33, 13], // a 28-float block plus a remainder; 13 classes
  ])('counts correct answers of Affine -> Relu -> Affine (hidden %i, %i classes) like the reference', (H, C) => {
    const rng = new Rng(H * 100 + C);
    const set = syntheticImages(rng, 1100, 7, 7, C); // includes all-zero images
    const W1 = randomOf(fast, rng, 49, H, 0.3), b1 = randomOf(fast, rng, 1, H, 0.1);
    const W2 = randomOf(fast, rng, H, C, 0.5), b2 = randomOf(fast, rng, 1, C, 0.1);
    const ops = [{ kind: 'affine' as const, W: W1, b: b1 }, { kind: 'relu' as const }, { kind: 'affine' as const, W: W2, b: b2 }];
    const opsRef = ops.map((op) => (op.kind === 'affine' ? { ...op, W: copyTo(ref, op.W), b: copyTo(ref, op.b) } : op));
    const got = fast.countCorrectImages(ops, fast.loadImages(set));
    const want = ref.countCorrectImages(opsRef, ref.loadImages(set));
    expect(got).toBeGreaterThan(set.count / C / 2);
    if (exact) expect(got).toBe(want);
    else expect(Math.abs(got - want)).toBeLessThanOrEqual(2); // a near-tie may flip in float32
  });

  it('counts correct answers of a feed-forward stack like the reference', () => {
    const rng = new Rng(11);
    const set = syntheticImages(rng, 1234, 5, 6, 4);
    const W1 = randomOf(fast, rng, 30, 9, 0.2), b1 = randomOf(fast, rng, 1, 9, 0.1);
    const W2 = randomOf(fast, rng, 9, 4, 0.5), b2 = randomOf(fast, rng, 1, 4, 0.1);
    const ops = [
      { kind: 'affine' as const, W: W1, b: b1 },
      { kind: 'relu' as const },
      { kind: 'affine' as const, W: W2, b: b2 },
      { kind: 'sigmoid' as const },
    ];
    const opsRef = ops.map((op) => (op.kind === 'affine' ? { ...op, W: copyTo(ref, op.W), b: copyTo(ref, op.b) } : op));
    const got = fast.countCorrectImages(ops, fast.loadImages(set));
    const want = ref.countCorrectImages(opsRef, ref.loadImages(set));
    expect(got).toBeGreaterThan(0);
    if (exact) expect(got).toBe(want);
    else expect(Math.abs(got - want)).toBeLessThanOrEqual(2); // a near-tie may flip in float32
  });

  it('rejects shapes that do not chain and indices outside the set', () => {
    const rng = new Rng(3);
    const set = syntheticImages(rng, 10, 2, 3);
    const x = fast.allocImages(2, 6);
    expect(() => fast.gatherImages(x, fast.loadImages(set), new Int32Array([0, 10]))).toThrow(/index 10 outside \[0, 10\)/);
    expect(() => fast.sliceImages(x, fast.loadImages(set), 9)).toThrow(/rows \[9, 11\) outside/);
    expect(() => fast.matmul(fast.alloc(2, 3), fast.alloc(2, 4), fast.alloc(5, 3))).toThrow(/expected shape \(4, 3\)/);
  });
});

describe('wasm backend memory', () => {
  it('hands out zero-filled, distinct matrices, and works on matrices from elsewhere', () => {
    const k = wasmKernels();
    const a = k.alloc(3, 5);
    a.data.fill(7);
    const b = k.alloc(3, 5);
    expect(Array.from(b.data)).toEqual(new Array(15).fill(0));
    expect(b.data.byteOffset).not.toBe(a.data.byteOffset);
    // A plain Float32Array matrix (not in the module's memory) goes through the JS path.
    const ref = referenceKernels('float32');
    const x = ref.alloc(2, 3);
    x.data.set([1, 2, 3, 4, 5, 6]);
    const W = ref.alloc(3, 2);
    W.data.set([1, 0, 0, 1, 1, 1]);
    const out = ref.alloc(2, 2);
    k.matmul(out, x, W);
    expect(Array.from(out.data)).toEqual([4, 5, 10, 11]);
  });

  it('keeps views valid while the memory grows', () => {
    const k = wasmKernels();
    const a = k.alloc(1, 4);
    a.data.set([1, 2, 3, 4]);
    k.alloc(1024, 1024); // 4 MB: grows the memory
    const y = k.alloc(1, 4);
    k.axpy(y, 2, a);
    expect(Array.from(y.data)).toEqual([2, 4, 6, 8]);
  });
});

describe('touchPages (the worker making list pages present ahead of the lists)', () => {
  const memory = new WebAssembly.Memory({ initial: 4, maximum: 4, shared: true }); // 256 kB: 64 pages
  const bytes = new Uint8Array(memory.buffer);

  it('leaves every byte as it was, asks whether to stop every 16 pages, and stops when told', () => {
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) & 255;
    let asked = 0;
    touchPages(memory, 0, bytes.length, () => (asked++, false));
    expect(asked).toBe(4); // pages 0, 16, 32, 48
    asked = 0;
    touchPages(memory, 100, bytes.length, () => ++asked === 2);
    expect(asked).toBe(2); // stopped at the second question, page 17
    expect(bytes.every((b, i) => b === ((i * 7) & 255))).toBe(true);
  });
});
