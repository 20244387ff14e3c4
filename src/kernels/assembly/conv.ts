// WebAssembly SIMD kernels for the book's convnets (AssemblyScript, f32x4), float32: the
// dense products (SGEMM in its three transpose forms), convolution forward and backward,
// and max-pooling. The readable versions they are tested against are in ../conv-reference.ts.
//
// As in ./index.ts, every argument is a byte offset into the shared memory, matrices are
// row-major, and every buffer has at least 64 bytes of padding after it (a block of 8 or 16
// floats may read past a row's end; those lanes are never stored).
//
// Same numbers with any thread count: every kernel takes a range of the rows (or images, or
// filters) it writes, and computes each output element by itself, in a fixed order that does
// not depend on the range. Each output element of a product is one chain of float32
// multiply-then-add over the shared index, ascending. So skipping a zero term is exact
// (x + 0 * w = x for finite w): the kernels that skip zero pixels or zero gradients give
// the dense computation's numbers bit for bit, unless their doc says otherwise.

import { relu, storeLanes } from './lanes';

// ---- small helpers ----------------------------------------------------------------------

// Stores 8 floats as two vectors, of which the first m are wanted.
@inline function store8(ptr: usize, v0: v128, v1: v128, m: i32): void {
  if (m >= 8) {
    v128.store(ptr, v0);
    v128.store(ptr, v1, 16);
  } else {
    storeLanes(ptr, v0, m);
    storeLanes(ptr + 16, v1, m - 4);
  }
}

// ---- SGEMM --------------------------------------------------------------------------------
//
// C (M,N) = A (M,K) · B (K,N) and C (K,N) = A^T · B are one loop nest: A is read through two
// strides, `aRow` between C's rows and `aStep` along the shared index (K and 1 for A, 1 and
// K for A^T). Blocks of 4 rows x 8 columns of C are held in registers (8 accumulators: with
// V8's 16 vector registers, larger blocks spill), over chunks of KC of the shared index (a
// 4 x KC block of A and a KC x 8 strip of B stay in the level-1 cache) and panels of NC
// columns (a KC x NC panel of B stays in level 2). A chunk after the first continues from the
// partial sums stored in C, which is exact: the same chain of adds.

const KC = 256;
const NC = 64;

// Rows i..i+3, columns j..j+m-1 (m <= 8) of C (N columns), over the shared index [k0, k1);
// from C's partial sums when `more` (else from zero). aRow, aStep: A's strides in bytes.
@inline function gemmBlock4(C: usize, A: usize, B: usize, i: i32, j: i32, k0: i32, k1: i32, N: i32, aRow: usize, aStep: usize, more: bool, m: i32): void {
  const c0 = C + (<usize>(i * N + j) << 2);
  const c1 = c0 + (<usize>N << 2), c2 = c1 + (<usize>N << 2), c3 = c2 + (<usize>N << 2);
  let x00 = f32x4.splat(0), x01 = f32x4.splat(0), x10 = f32x4.splat(0), x11 = f32x4.splat(0);
  let x20 = f32x4.splat(0), x21 = f32x4.splat(0), x30 = f32x4.splat(0), x31 = f32x4.splat(0);
  if (more) {
    x00 = v128.load(c0); x01 = v128.load(c0, 16);
    x10 = v128.load(c1); x11 = v128.load(c1, 16);
    x20 = v128.load(c2); x21 = v128.load(c2, 16);
    x30 = v128.load(c3); x31 = v128.load(c3, 16);
  }
  const rowB = <usize>N << 2;
  let a = A + <usize>i * aRow + <usize>k0 * aStep;
  let b = B + (<usize>(k0 * N + j) << 2);
  for (let k = k0; k < k1; k++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let s = v128.load32_splat(a);
    x00 = f32x4.add(x00, f32x4.mul(s, b0));
    x01 = f32x4.add(x01, f32x4.mul(s, b1));
    s = v128.load32_splat(a + aRow);
    x10 = f32x4.add(x10, f32x4.mul(s, b0));
    x11 = f32x4.add(x11, f32x4.mul(s, b1));
    s = v128.load32_splat(a + 2 * aRow);
    x20 = f32x4.add(x20, f32x4.mul(s, b0));
    x21 = f32x4.add(x21, f32x4.mul(s, b1));
    s = v128.load32_splat(a + 3 * aRow);
    x30 = f32x4.add(x30, f32x4.mul(s, b0));
    x31 = f32x4.add(x31, f32x4.mul(s, b1));
    a += aStep;
    b += rowB;
  }
  store8(c0, x00, x01, m);
  store8(c1, x10, x11, m);
  store8(c2, x20, x21, m);
  store8(c3, x30, x31, m);
}

// One row i, columns j..j+m-1 (m <= 16): the same sums as gemmBlock4's.
@inline function gemmBlock1(C: usize, A: usize, B: usize, i: i32, j: i32, k0: i32, k1: i32, N: i32, aRow: usize, aStep: usize, more: bool, m: i32): void {
  const c0 = C + (<usize>(i * N + j) << 2);
  let x0 = f32x4.splat(0), x1 = f32x4.splat(0), x2 = f32x4.splat(0), x3 = f32x4.splat(0);
  if (more) {
    x0 = v128.load(c0); x1 = v128.load(c0, 16); x2 = v128.load(c0, 32); x3 = v128.load(c0, 48);
  }
  const rowB = <usize>N << 2;
  let a = A + <usize>i * aRow + <usize>k0 * aStep;
  let b = B + (<usize>(k0 * N + j) << 2);
  for (let k = k0; k < k1; k++) {
    const s = v128.load32_splat(a);
    x0 = f32x4.add(x0, f32x4.mul(s, v128.load(b)));
    x1 = f32x4.add(x1, f32x4.mul(s, v128.load(b, 16)));
    x2 = f32x4.add(x2, f32x4.mul(s, v128.load(b, 32)));
    x3 = f32x4.add(x3, f32x4.mul(s, v128.load(b, 48)));
    a += aStep;
    b += rowB;
  }
  store8(c0, x0, x1, m);
  store8(c0 + 32, x2, x3, m - 8);
}

// Rows [r0, r1) of C (N columns) = A' · B over a shared index of length K, A' read through
// the strides aRow, aStep (in floats); C += when `accumulate`.
@inline function gemm(C: usize, A: usize, B: usize, r0: i32, r1: i32, K: i32, N: i32, aRowFloats: i32, aStepFloats: i32, accumulate: bool): void {
  const aRow = <usize>aRowFloats << 2, aStep = <usize>aStepFloats << 2;
  if (K === 0) {
    if (!accumulate) for (let i = r0; i < r1; i++) memory.fill(C + (<usize>(i * N) << 2), 0, <usize>N << 2);
    return;
  }
  for (let k0 = 0; k0 < K; k0 += KC) {
    const k1 = min(K, k0 + KC);
    const more = accumulate || k0 > 0;
    for (let jc = 0; jc < N; jc += NC) {
      const jEnd = min(N, jc + NC);
      let i = r0;
      for (; i + 4 <= r1; i += 4) {
        for (let j = jc; j < jEnd; j += 8) gemmBlock4(C, A, B, i, j, k0, k1, N, aRow, aStep, more, jEnd - j);
      }
      for (; i < r1; i++) {
        for (let j = jc; j < jEnd; j += 16) gemmBlock1(C, A, B, i, j, k0, k1, N, aRow, aStep, more, jEnd - j);
      }
    }
  }
}

/**
 * C (M,N) = A (M,K) · B (K,N) for rows [r0, r1) of C; C += A · B when `accumulate`. Each C
 * element sums k ascending (after C's old value, if accumulating).
 */
export function sgemmNN(C: usize, A: usize, B: usize, r0: i32, r1: i32, K: i32, N: i32, accumulate: bool): void {
  gemm(C, A, B, r0, r1, K, N, K, 1, accumulate);
}

/**
 * C (K,N) = A^T · B for A (M,K), B (M,N): the weight gradient x^T · dout. Rows [r0, r1) of
 * C (columns of A); C += A^T · B when `accumulate`. Each C element sums A's rows ascending.
 */
export function sgemmTN(C: usize, A: usize, B: usize, r0: i32, r1: i32, M: i32, K: i32, N: i32, accumulate: bool): void {
  gemm(C, A, B, r0, r1, M, N, 1, K, accumulate);
}

/**
 * Bt (K,N) = B^T for B (N,K): 4 x 4 blocks through registers, then the edges.
 * (sgemmNT's first step; the caller's scratch.)
 */
export function transpose(Bt: usize, B: usize, N: i32, K: i32): void {
  const N4 = N & ~3, K4 = K & ~3;
  for (let r = 0; r < N4; r += 4) {
    const p = B + (<usize>(r * K) << 2), rowB = <usize>K << 2;
    for (let c = 0; c < K4; c += 4) {
      const q = p + (<usize>c << 2);
      const a = v128.load(q), b = v128.load(q + rowB), cc = v128.load(q + 2 * rowB), d = v128.load(q + 3 * rowB);
      storeTransposed(Bt + (<usize>(c * N + r) << 2), a, b, cc, d, <usize>N << 2, 4);
    }
    for (let c = K4; c < K; c++) {
      for (let rr = r; rr < r + 4; rr++) store<f32>(Bt + (<usize>(c * N + rr) << 2), load<f32>(B + (<usize>(rr * K + c) << 2)));
    }
  }
  for (let r = N4; r < N; r++) {
    for (let c = 0; c < K; c++) store<f32>(Bt + (<usize>(c * N + r) << 2), load<f32>(B + (<usize>(r * K + c) << 2)));
  }
}

/**
 * C (M,N) = A (M,K) · B^T for B (N,K): the input gradient dout · W^T. B is first copied
 * transposed into Bt (the caller's (K, N) scratch) and the product is sgemmNN's, so each
 * C element sums k ascending. Rows [r0, r1) of C; `transposed`: Bt already holds B^T (a
 * second thread's call on the same B, after the first's transpose).
 */
export function sgemmNT(C: usize, A: usize, B: usize, r0: i32, r1: i32, K: i32, N: i32, Bt: usize, transposed: bool): void {
  if (!transposed) transpose(Bt, B, N, K);
  sgemmNN(C, A, Bt, r0, r1, K, N, false);
}

// ---- convolution ----------------------------------------------------------------------------
//
// Shapes as in the book: x (N, C, H, W), filters (FN, C, FH, FW), out (N, FN, OH, OW), with
// OH = (H + 2*pad - FH) / stride + 1 (checked by the caller). K = C*FH*FW, P = OH*OW.

/**
 * colT (K, P) = the transpose of the book's im2col for one image: row k = (c, i, j) holds
 * what tap (i, j) of channel c sees at every output position, zero over the padding.
 */
export function im2colT(colT: usize, img: usize, C: i32, H: i32, W: i32, FH: i32, FW: i32, stride: i32, pad: i32, OH: i32, OW: i32): void {
  const P = OH * OW;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < FH; i++) {
      for (let j = 0; j < FW; j++) {
        let dst = colT + (<usize>(((c * FH + i) * FW + j) * P) << 2);
        for (let oh = 0; oh < OH; oh++) {
          const y = oh * stride - pad + i;
          if (y < 0 || y >= H) {
            memory.fill(dst, 0, <usize>OW << 2);
            dst += <usize>OW << 2;
            continue;
          }
          const row = img + (<usize>((c * H + y) * W) << 2);
          if (stride === 1) {
            // A shifted copy of the image row: zeros, the row's pixels, zeros.
            const lo = max(0, pad - j), hi = min(OW, W + pad - j);
            let ow = 0;
            for (; ow < lo; ow++) store<f32>(dst + (<usize>ow << 2), 0);
            const from = row + (<usize>(j - pad) << 2); // where column ow of this row comes from, less 4*ow
            for (; ow + 4 <= hi; ow += 4) v128.store(dst + (<usize>ow << 2), v128.load(from + (<usize>ow << 2)));
            for (; ow < hi; ow++) store<f32>(dst + (<usize>ow << 2), load<f32>(from + (<usize>ow << 2)));
            for (; ow < OW; ow++) store<f32>(dst + (<usize>ow << 2), 0);
            dst += <usize>OW << 2;
            continue;
          }
          for (let ow = 0; ow < OW; ow++) {
            const xx = ow * stride - pad + j;
            store<f32>(dst, xx >= 0 && xx < W ? load<f32>(row + (<usize>xx << 2)) : 0);
            dst += 4;
          }
        }
      }
    }
  }
}

/**
 * The book's Convolution.forward, dense: for images [n0, n1), out[n] (FN, P) = W (FN, K) ·
 * colT (K, P) + b, through im2colT into `colT` (this thread's (K, P) scratch). Each output
 * sums k ascending from zero, then adds the bias.
 */
export function convForward(out: usize, x: usize, W: usize, b: usize, n0: i32, n1: i32, C: i32, H: i32, Wd: i32, FN: i32, FH: i32, FW: i32, stride: i32, pad: i32, OH: i32, OW: i32, colT: usize): void {
  const K = C * FH * FW, P = OH * OW;
  for (let n = n0; n < n1; n++) {
    im2colT(colT, x + (<usize>(n * C * H * Wd) << 2), C, H, Wd, FH, FW, stride, pad, OH, OW);
    const o = out + (<usize>(n * FN * P) << 2);
    sgemmNN(o, W, colT, 0, FN, K, P, false);
    addBiasRows(o, b, FN, P);
  }
}

// out (FN, P) += b[f] on row f.
@inline function addBiasRows(out: usize, b: usize, FN: i32, P: i32): void {
  const P4 = P & ~3;
  for (let f = 0; f < FN; f++) {
    const bf = v128.load32_splat(b + (<usize>f << 2));
    const r = out + (<usize>(f * P) << 2);
    for (let p = 0; p < P4; p += 4) {
      const q = r + (<usize>p << 2);
      v128.store(q, f32x4.add(v128.load(q), bf));
    }
    for (let p = P4; p < P; p++) {
      const q = r + (<usize>p << 2);
      store<f32>(q, load<f32>(q) + load<f32>(b + (<usize>f << 2)));
    }
  }
}

/**
 * Appends the nonzero values among `count` floats at `src` to a list: entries (u32 index,
 * f32 value) at `list`, in index order. Four values are tested at a time (a bit mask of the
 * nonzero ones, walked lowest bit first). Returns the number of entries.
 */
@inline function nonzeros(list: usize, src: usize, count: i32): i32 {
  let e = 0;
  const count4 = count & ~3;
  const zero = f32x4.splat(0);
  for (let k = 0; k < count4; k += 4) {
    let mask = i32x4.bitmask(f32x4.ne(v128.load(src + (<usize>k << 2)), zero));
    while (mask !== 0) {
      const q = k + ctz(mask);
      mask &= mask - 1;
      store<u32>(list + (<usize>e << 3), q);
      store<f32>(list + (<usize>e << 3), load<f32>(src + (<usize>q << 2)), 4);
      e++;
    }
  }
  for (let q = count4; q < count; q++) {
    const v = load<f32>(src + (<usize>q << 2));
    if (v !== 0) {
      store<u32>(list + (<usize>e << 3), q);
      store<f32>(list + (<usize>e << 3), v, 4);
      e++;
    }
  }
  return e;
}

// ---- the first layer, from its nonzero pixels ------------------------------------------------
//
// The first layer sees the images themselves, and most of their pixels are zero (about 80%
// of MNIST's). Its forward pass scatters each nonzero pixel v into the outputs whose windows
// hold it: at tap (c, i, j) of an output, v * W[f, c, i, j] is added for every filter f at
// once, the filters side by side in vectors (FNp of them: FN rounded up to 8, the extra
// lanes zero). An output's terms arrive in the pixels' scan order (channel, row, column),
// which is the order of its taps (c, i, j): the dense product's chain with its zero terms
// skipped, so the same bits. The outputs are made a band of rows at a time, (rows, OW, FNp)
// floats small enough for the level-1 cache, then finished: the bias added, and either
// stored as the book's (FN, OH, OW) planes or passed through ReLU and 2x2 max-pooling.

/** wt (K, FNp) = W (FN, K) transposed, zero in the columns past FN. */
function transposeFilters(wt: usize, W: usize, FN: i32, K: i32, FNp: i32): void {
  memory.fill(wt, 0, <usize>(K * FNp) << 2);
  for (let f = 0; f < FN; f++) {
    for (let k = 0; k < K; k++) store<f32>(wt + (<usize>(k * FNp + f) << 2), load<f32>(W + (<usize>(f * K + k) << 2)));
  }
}

/** Where listPixels writes each row's first entry: R + 1 i32, rounded up to whole vectors. */
@inline function entriesAt(pix: usize, R: i32): usize {
  return pix + (<usize>((R + 4) & ~3) << 2);
}

/**
 * The nonzero pixels of an image xn (R rows of Wd, channels one after the other): entries
 * (i32 column, f32 value) in scan order at entriesAt(pix, R), and at pix (R + 1 i32) where
 * each row's entries begin. Every pixel is written and the count advances past the nonzero
 * ones only: no branch on the pixels, whose pattern a branch predictor cannot learn.
 */
function listPixels(pix: usize, xn: usize, R: i32, Wd: i32): void {
  const entries = entriesAt(pix, R);
  let count = 0;
  for (let r = 0; r < R; r++) {
    store<i32>(pix + (<usize>r << 2), count);
    const row = xn + (<usize>(r * Wd) << 2);
    for (let x = 0; x < Wd; x++) {
      const v = load<f32>(row + (<usize>x << 2));
      const e = entries + (<usize>count << 3);
      store<i32>(e, x);
      store<f32>(e, v, 4);
      count += <i32>(v != 0);
    }
  }
  store<i32>(pix + (<usize>R << 2), count);
}

/**
 * band (o1 - o0, OW, FNp) = the sums of output rows [o0, o1) of every filter, without the
 * bias: each listed pixel's terms added to the outputs of those rows that see it, taps in
 * the order above. fnBytes = FNp * 4.
 */
function scatterBand(band: usize, wt: usize, pix: usize, o0: i32, o1: i32, C: i32, H: i32, FH: i32, FW: i32, pad: i32, OW: i32, fnBytes: usize): void {
  const rowBytes = <usize>OW * fnBytes;
  memory.fill(band, 0, <usize>(o1 - o0) * rowBytes);
  const entries = entriesAt(pix, C * H);
  for (let c = 0; c < C; c++) {
    // The image rows under these outputs' windows: output row oy sees rows oy - pad + i.
    const y0 = max(0, o0 - pad), y1 = min(H - 1, o1 - 2 - pad + FH);
    for (let y = y0; y <= y1; y++) {
      // The taps (rows i of a window) by which row y reaches outputs [o0, o1).
      const i0 = max(0, y + pad - o1 + 1), i1 = min(FH - 1, y + pad - o0);
      const r = c * H + y;
      const end = entries + (<usize>load<i32>(pix + (<usize>(r + 1) << 2)) << 3);
      for (let e = entries + (<usize>load<i32>(pix + (<usize>r << 2)) << 3); e < end; e += 8) {
        const x = load<i32>(e);
        const v = v128.load32_splat(e, 4);
        // Tap j reaches output column x + pad - j; those inside [0, OW).
        const j0 = max(0, x + pad - OW + 1), j1 = min(FW - 1, x + pad);
        for (let i = i0; i <= i1; i++) {
          let a = band + <usize>(y + pad - i - o0) * rowBytes + <usize>(x + pad - j0) * fnBytes;
          let w = wt + <usize>((c * FH + i) * FW + j0) * fnBytes;
          for (let j = j0; j <= j1; j++) {
            addScaled(a, v, w, fnBytes);
            a -= fnBytes;
            w += fnBytes;
          }
        }
      }
    }
  }
}

// a (n floats, n = bytes / 4, a multiple of 8) += v * w. The book's SimpleConvNet (30
// filters: 32 floats) unrolled whole: this is the loop the first layer spends its time in.
@inline function addScaled(a: usize, v: v128, w: usize, bytes: usize): void {
  if (bytes == 128) {
    v128.store(a, f32x4.add(v128.load(a), f32x4.mul(v, v128.load(w))));
    v128.store(a, f32x4.add(v128.load(a, 16), f32x4.mul(v, v128.load(w, 16))), 16);
    v128.store(a, f32x4.add(v128.load(a, 32), f32x4.mul(v, v128.load(w, 32))), 32);
    v128.store(a, f32x4.add(v128.load(a, 48), f32x4.mul(v, v128.load(w, 48))), 48);
    v128.store(a, f32x4.add(v128.load(a, 64), f32x4.mul(v, v128.load(w, 64))), 64);
    v128.store(a, f32x4.add(v128.load(a, 80), f32x4.mul(v, v128.load(w, 80))), 80);
    v128.store(a, f32x4.add(v128.load(a, 96), f32x4.mul(v, v128.load(w, 96))), 96);
    v128.store(a, f32x4.add(v128.load(a, 112), f32x4.mul(v, v128.load(w, 112))), 112);
    return;
  }
  for (let k: usize = 0; k < bytes; k += 32) {
    v128.store(a + k, f32x4.add(v128.load(a + k), f32x4.mul(v, v128.load(w + k))));
    v128.store(a + k, f32x4.add(v128.load(a + k, 16), f32x4.mul(v, v128.load(w + k, 16))), 16);
  }
}

// Stores the first m (<= 4) lanes of v (floats or i32: their bits), lane l at dst + l * stride
// bytes: four filters' values at the same place in their planes.
@inline function storeAcross(dst: usize, v: v128, stride: usize, m: i32): void {
  store<i32>(dst, i32x4.extract_lane(v, 0));
  if (m > 1) store<i32>(dst + stride, i32x4.extract_lane(v, 1));
  if (m > 2) store<i32>(dst + 2 * stride, i32x4.extract_lane(v, 2));
  if (m > 3) store<i32>(dst + 3 * stride, i32x4.extract_lane(v, 3));
}

// r0..r3: four rows of a 4 x 4 block (four positions' values of four filters). Stores the
// block transposed, column l as one vector at dst + l * stride bytes, for the first m columns.
@inline function storeTransposed(dst: usize, r0: v128, r1: v128, r2: v128, r3: v128, stride: usize, m: i32): void {
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5), t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
  if (m > 1) v128.store(dst + stride, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
  if (m > 2) v128.store(dst + 2 * stride, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
  if (m > 3) v128.store(dst + 3 * stride, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
}

/**
 * A row of `count` positions held as (count, FNp), filters side by side, stored as the
 * book's layout: filter f's values at dst + f * plane bytes, positions in order.
 */
function storePlanes(dst: usize, src: usize, count: i32, FN: i32, fnBytes: usize, plane: usize): void {
  let p = 0;
  for (; p + 4 <= count; p += 4) {
    const s = src + <usize>p * fnBytes, d = dst + (<usize>p << 2);
    for (let f = 0; f < FN; f += 4) {
      const fb = <usize>f << 2;
      storeTransposed(d + <usize>f * plane, v128.load(s + fb), v128.load(s + fnBytes + fb), v128.load(s + 2 * fnBytes + fb), v128.load(s + 3 * fnBytes + fb), plane, FN - f);
    }
  }
  for (; p < count; p++) {
    const s = src + <usize>p * fnBytes, d = dst + (<usize>p << 2);
    for (let f = 0; f < FN; f += 4) storeAcross(d + <usize>f * plane, v128.load(s + (<usize>f << 2)), plane, FN - f);
  }
}

/**
 * convForward for stride 1 from the nonzero pixels (above): the same bits as convForward.
 * Scratch (this thread's): wt (C*FH*FW, FNp) floats, pix (C*H + 4) i32 + (C*H*W) entries of
 * 8 bytes, band (B + 1, OW, FNp) floats; B: output rows a band.
 */
export function convForwardDirect(out: usize, x: usize, W: usize, b: usize, n0: i32, n1: i32, C: i32, H: i32, Wd: i32, FN: i32, FH: i32, FW: i32, pad: i32, OH: i32, OW: i32, wt: usize, pix: usize, band: usize, B: i32): void {
  const K = C * FH * FW, P = OH * OW, D = C * H * Wd;
  const FNp = (FN + 7) & ~7;
  const fnBytes = <usize>FNp << 2, rowBytes = <usize>OW * fnBytes;
  const plane = <usize>P << 2;
  transposeFilters(wt, W, FN, K, FNp);
  for (let n = n0; n < n1; n++) {
    listPixels(pix, x + (<usize>(n * D) << 2), C * H, Wd);
    const o = out + <usize>(n * FN) * plane;
    for (let o0 = 0; o0 < OH; o0 += B) {
      const o1 = min(o0 + B, OH);
      scatterBand(band, wt, pix, o0, o1, C, H, FH, FW, pad, OW, fnBytes);
      for (let oy = o0; oy < o1; oy++) {
        const row = band + <usize>(oy - o0) * rowBytes;
        for (let f = 0; f < FN; f += 4) {
          const bias = v128.load(b + (<usize>f << 2));
          for (let a = row + (<usize>f << 2); a < row + rowBytes; a += fnBytes) v128.store(a, f32x4.add(v128.load(a), bias));
        }
        storePlanes(o + (<usize>(oy * OW) << 2), row, OW, FN, fnBytes, plane);
      }
    }
  }
}

/**
 * img (C, H + 2*pad, W + 2*pad + 8) = the image with a frame of `pad` zeros (and 8 more
 * zero columns on the right, which a window's last 8-float load may read into).
 */
@inline function padImage(img: usize, src: usize, C: i32, H: i32, W: i32, pad: i32): void {
  const Hp = H + 2 * pad, Wp = W + 2 * pad + 8;
  memory.fill(img, 0, <usize>(C * Hp * Wp) << 2);
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < H; y++) {
      memory.copy(img + (<usize>((c * Hp + y + pad) * Wp + pad) << 2), src + (<usize>((c * H + y) * W) << 2), <usize>W << 2);
    }
  }
}

// Byte offset of row r (of `rows`) of a window from its corner, in an image of C x H x W
// pixels: row r is channel r / FH, filter row r % FH. Past the last row: row 0's again (the
// register kernels load 5 rows whatever the window has; those sums are dropped).
@inline function windowRow(r: i32, rows: i32, FH: i32, H: i32, W: i32): usize {
  return r < rows ? <usize>(((r / FH) * H + r % FH) * W) << 2 : 0;
}

// dW row (C*FH*FW floats at dst) = the first FW lanes of each of the window's rows, held as
// pairs of vectors (a0 a1: row 0, ...); acc: 40 floats of scratch.
@inline function storeWindow(dst: usize, acc: usize, rows: i32, FW: i32, a0: v128, a1: v128, a2: v128, a3: v128, a4: v128, a5: v128, a6: v128, a7: v128, a8: v128, a9: v128): void {
  v128.store(acc, a0); v128.store(acc, a1, 16);
  v128.store(acc, a2, 32); v128.store(acc, a3, 48);
  v128.store(acc, a4, 64); v128.store(acc, a5, 80);
  v128.store(acc, a6, 96); v128.store(acc, a7, 112);
  v128.store(acc, a8, 128); v128.store(acc, a9, 144);
  for (let r = 0; r < rows; r++) memory.copy(dst + (<usize>(r * FW) << 2), acc + (<usize>(r * 8) << 2), <usize>FW << 2);
}

// Entries of one (image, filter) for the window kernels: (u32 byte offset of the window's
// corner in the image, f32 gradient value), in scan order. Candidates come four at a time
// and every one is written, the count advancing only past those kept: no branch on the data,
// whose pattern a branch predictor cannot learn. (The list has room for 3 more entries.)

// Appends the lanes of (corners, values) that `mask` keeps to the list at entry e.
@inline function appendLanes(list: usize, e: i32, corners: v128, values: v128, mask: i32): i32 {
  let p = list + (<usize>e << 3);
  store<i32>(p, i32x4.extract_lane(corners, 0));
  store<f32>(p, f32x4.extract_lane(values, 0), 4);
  p += <usize>(mask & 1) << 3;
  store<i32>(p, i32x4.extract_lane(corners, 1));
  store<f32>(p, f32x4.extract_lane(values, 1), 4);
  p += <usize>((mask >> 1) & 1) << 3;
  store<i32>(p, i32x4.extract_lane(corners, 2));
  store<f32>(p, f32x4.extract_lane(values, 2), 4);
  p += <usize>((mask >> 2) & 1) << 3;
  store<i32>(p, i32x4.extract_lane(corners, 3));
  store<f32>(p, f32x4.extract_lane(values, 3), 4);
  return e + <i32>popcnt(mask);
}

// The nonzero values of dout rows (OH, OW), each with its window's corner (stride `stride`,
// no padding, image width Wd). Returns the entry count.
function doutEntries(list: usize, d: usize, OH: i32, OW: i32, stride: i32, Wd: i32): i32 {
  const zero = f32x4.splat(0);
  let e = 0;
  for (let oh = 0; oh < OH; oh++) {
    const rowD = d + (<usize>(oh * OW) << 2);
    for (let ow0 = 0; ow0 < OW; ow0 += 4) {
      const v = v128.load(rowD + (<usize>ow0 << 2));
      let mask = i32x4.bitmask(f32x4.ne(v, zero));
      if (ow0 + 4 > OW) mask &= (1 << (OW - ow0)) - 1;
      const ow = i32x4.add(i32x4.splat(oh * Wd + ow0), i32x4(0, 1, 2, 3));
      e = appendLanes(list, e, i32x4.shl(i32x4.mul(ow, i32x4.splat(stride)), 2), v, mask);
    }
  }
  return e;
}

// The entries a 2x2 stride 2 pooling routes back (pooled > 0, dpooled != 0, at the argmax)
// for one filter's pooled rows (PH, PW) over activations of width OW; `first`: the argmax
// index of the filter's first activation. Stride 1, no padding, image width Wd. Each pooled
// row is walked twice, for the windows' upper activation row and then their lower one, so
// the entries come in the activations' scan order, as doutEntries lists them from the
// unfused gradient: the sums are then the same, bit for bit. A corner's two low bits (its
// byte offset is a multiple of 4) carry the activation's position mod 4: its bias lane.
function pooledEntries(list: usize, pv: usize, dv: usize, av: usize, PH: i32, PW: i32, OW: i32, first: i32, Wd: i32): i32 {
  const zero = f32x4.splat(0);
  let e = 0;
  for (let ph = 0; ph < PH; ph++) {
    const r = <usize>(ph * PW) << 2;
    const top = i32x4.splat(first + 2 * ph * OW); // the argmax index of the window row's first activation
    const rowX = i32x4.splat(2 * ph * Wd);
    for (let lower = 0; lower < 2; lower++) {
      for (let pw0 = 0; pw0 < PW; pw0 += 4) {
        const q = r + (<usize>pw0 << 2);
        const d = v128.load(dv + q);
        const a = v128.load(av + q);
        // Where in the two activation rows: p, and whether in the lower one.
        const p = i32x4.sub(a, top);
        const below = i32x4.ge_s(p, i32x4.splat(OW));
        const inRow = lower === 0 ? v128.not(below) : below;
        let mask = i32x4.bitmask(v128.and(v128.and(f32x4.gt(v128.load(pv + q), zero), f32x4.ne(d, zero)), inRow));
        if (pw0 + 4 > PW) mask &= (1 << (PW - pw0)) - 1;
        const ow = i32x4.sub(p, v128.and(below, i32x4.splat(OW)));
        const corner = i32x4.add(i32x4.add(rowX, v128.and(below, i32x4.splat(Wd))), ow);
        const lane = v128.and(i32x4.sub(a, i32x4.splat(first)), i32x4.splat(3));
        e = appendLanes(list, e, v128.or(i32x4.shl(corner, 2), lane), d, mask);
      }
    }
  }
  return e;
}

/**
 * Weight gradients of filters [f0, f1) with the window (C*FH <= 5 rows of FW <= 8 taps) in
 * 10 registers: images [n0, n1) in order, each image's entries in scan order, from dout
 * (N, FN, OH, OW) or, when `pooled` is nonzero, from the pooled gradient (see
 * convWeightGradPooled), then also the bias gradient into db unless db is 0. Reads the
 * windows straight from x (a row's 8-float load may run into the next row: those lanes are
 * dropped). Scratch: acc 40 floats, list (OH*OW + 3) entries.
 */
function windowWeightGrad(dW: usize, db: usize, x: usize, dout: usize, pooled: usize, dpooled: usize, argmax: usize, n0: i32, n1: i32, f0: i32, f1: i32, C: i32, H: i32, Wd: i32, FN: i32, FH: i32, FW: i32, stride: i32, OH: i32, OW: i32, acc: usize, list: usize): void {
  const rows = C * FH, P = OH * OW, D = C * H * Wd, K = C * FH * FW;
  const PH = OH >> 1, PW = OW >> 1, Q = FN * PH * PW;
  const o0: usize = 0;
  const o1 = windowRow(1, rows, FH, H, Wd), o2 = windowRow(2, rows, FH, H, Wd);
  const o3 = windowRow(3, rows, FH, H, Wd), o4 = windowRow(4, rows, FH, H, Wd);
  const zero = f32x4.splat(0);
  const lanes = i32x4(0, 1, 2, 3);
  for (let f = f0; f < f1; f++) {
    let a0 = zero, a1 = zero, a2 = zero, a3 = zero, a4 = zero;
    let a5 = zero, a6 = zero, a7 = zero, a8 = zero, a9 = zero;
    let bias = zero; // convBiasGrad's four lanes (positions mod 4)
    for (let n = n0; n < n1; n++) {
      let entries = 0;
      if (pooled !== 0) {
        const at = <usize>(n * Q + f * PH * PW) << 2;
        entries = pooledEntries(list, pooled + at, dpooled + at, argmax + at, PH, PW, OW, f * P, Wd);
      } else {
        entries = doutEntries(list, dout + (<usize>((n * FN + f) * P) << 2), OH, OW, stride, Wd);
      }
      const xn = x + (<usize>(n * D) << 2);
      const end = list + (<usize>entries << 3);
      for (let e = list; e < end; e += 8) {
        const w = xn + <usize>(load<u32>(e) & ~3);
        const d = v128.load32_splat(e, 4);
        a0 = f32x4.add(a0, f32x4.mul(d, v128.load(w + o0)));
        a1 = f32x4.add(a1, f32x4.mul(d, v128.load(w + o0, 16)));
        a2 = f32x4.add(a2, f32x4.mul(d, v128.load(w + o1)));
        a3 = f32x4.add(a3, f32x4.mul(d, v128.load(w + o1, 16)));
        a4 = f32x4.add(a4, f32x4.mul(d, v128.load(w + o2)));
        a5 = f32x4.add(a5, f32x4.mul(d, v128.load(w + o2, 16)));
        a6 = f32x4.add(a6, f32x4.mul(d, v128.load(w + o3)));
        a7 = f32x4.add(a7, f32x4.mul(d, v128.load(w + o3, 16)));
        a8 = f32x4.add(a8, f32x4.mul(d, v128.load(w + o4)));
        a9 = f32x4.add(a9, f32x4.mul(d, v128.load(w + o4, 16)));
      }
      // Each value into its lane, zeros into the others: adding +0 leaves a sum as it is
      // (a sum from +0 is never -0), so each lane is convBiasGrad's chain without its zeros.
      if (db !== 0) {
        for (let e = list; e < end; e += 8) {
          const inLane = i32x4.eq(i32x4.splat(load<u32>(e) & 3), lanes);
          bias = f32x4.add(bias, v128.and(v128.load32_splat(e, 4), inLane));
        }
      }
    }
    storeWindow(dW + (<usize>(f * K) << 2), acc, rows, FW, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9);
    if (db !== 0) {
      const h = f32x4.add(bias, i32x4.shuffle(bias, bias, 2, 3, 0, 1));
      store<f32>(db + (<usize>f << 2), f32x4.extract_lane(h, 0) + f32x4.extract_lane(h, 1));
    }
  }
}

/**
 * The book's Convolution.backward, weight gradient: dW (FN, K) = sum over images [n0, n1)
 * and positions of dout (N, FN, P) times the window the position sees, for filters
 * [f0, f1) (the threads' split: each filter's gradient by one thread, all images in order).
 * Walks the nonzero dout values only: after max-pooling and ReLU, most are zero. Each dW
 * element sums images ascending, then positions ascending: the order of dout · im2col.
 * Small windows without padding (the book's first layer: 5 rows of 5) are summed in registers.
 * Scratch (this thread's): img (C, H + 2*pad, W + 2*pad + 8) floats, dwAcc (max(f1 - f0, 1),
 * max(C*FH, 5), FW8) floats (FW8 = FW rounded up to 8), list (P + 3) entries of 8 bytes.
 */
export function convWeightGrad(dW: usize, x: usize, dout: usize, n0: i32, n1: i32, f0: i32, f1: i32, C: i32, H: i32, Wd: i32, FN: i32, FH: i32, FW: i32, stride: i32, pad: i32, OH: i32, OW: i32, img: usize, dwAcc: usize, list: usize): void {
  const P = OH * OW, K = C * FH * FW;
  const FW8 = (FW + 7) & ~7;
  const Hp = H + 2 * pad, Wp = Wd + 2 * pad + 8;
  const rows = C * FH; // window rows per filter
  if (pad === 0 && rows <= 5 && FW <= 8) {
    windowWeightGrad(dW, 0, x, dout, 0, 0, 0, n0, n1, f0, f1, C, H, Wd, FN, FH, FW, stride, OH, OW, dwAcc, list);
    return;
  }
  const filterAcc = <usize>(rows * FW8) << 2;
  memory.fill(dwAcc, 0, <usize>(f1 - f0) * filterAcc);
  for (let n = n0; n < n1; n++) {
    padImage(img, x + (<usize>(n * C * H * Wd) << 2), C, H, Wd, pad);
    for (let f = f0; f < f1; f++) {
      const entries = nonzeros(list, dout + (<usize>((n * FN + f) * P) << 2), P);
      const a0 = dwAcc + <usize>(f - f0) * filterAcc;
      for (let e = 0; e < entries; e++) {
        const p = load<i32>(list + (<usize>e << 3));
        const d = v128.load32_splat(list + (<usize>e << 3), 4);
        const oh = p / OW, ow = p % OW;
        // The window's top-left corner in the padded image.
        const corner = img + (<usize>(oh * stride * Wp + ow * stride) << 2);
        let a = a0;
        for (let c = 0; c < C; c++) {
          for (let i = 0; i < FH; i++) {
            const src = corner + (<usize>((c * Hp + i) * Wp) << 2);
            for (let l: usize = 0; l < <usize>FW8 << 2; l += 16) {
              v128.store(a + l, f32x4.add(v128.load(a + l), f32x4.mul(d, v128.load(src + l))));
            }
            a += <usize>FW8 << 2;
          }
        }
      }
    }
  }
  // dW rows [f0, f1) from the accumulators (the lanes past FW are the next columns' sums, dropped).
  for (let f = f0; f < f1; f++) {
    const a = dwAcc + <usize>(f - f0) * filterAcc;
    for (let r = 0; r < rows; r++) {
      memory.copy(dW + (<usize>(f * K + r * FW) << 2), a + (<usize>(r * FW8) << 2), <usize>FW << 2);
    }
  }
}

/**
 * db (FN) = the sum of dout (N, FN, P) over images and positions, for filters [f0, f1):
 * each filter's positions summed in four lanes (p mod 4), images ascending, the lanes then
 * added as (0 + 2) + (1 + 3).
 */
export function convBiasGrad(db: usize, dout: usize, N: i32, f0: i32, f1: i32, FN: i32, P: i32): void {
  const P4 = P & ~3;
  for (let f = f0; f < f1; f++) {
    let s = f32x4.splat(0);
    let tail: f32 = 0;
    for (let n = 0; n < N; n++) {
      const r = dout + (<usize>((n * FN + f) * P) << 2);
      for (let p = 0; p < P4; p += 4) s = f32x4.add(s, v128.load(r + (<usize>p << 2)));
      for (let p = P4; p < P; p++) tail += load<f32>(r + (<usize>p << 2));
    }
    const h = f32x4.add(s, i32x4.shuffle(s, s, 2, 3, 0, 1));
    store<f32>(db + (<usize>f << 2), f32x4.extract_lane(h, 0) + f32x4.extract_lane(h, 1) + tail);
  }
}

/**
 * The book's Convolution.backward, input gradient: for images [n0, n1), dcol (P, K) =
 * dout[n]^T (P, FN) · W (FN, K) (sgemmTN: each entry sums filters ascending), then dx[n]
 * (C, H, W) = col2im(dcol): every window's entries added to the pixels it saw, positions
 * ascending. Scratch (this thread's): dcol (P, K) floats.
 */
export function convInputGrad(dx: usize, dout: usize, W: usize, n0: i32, n1: i32, C: i32, H: i32, Wd: i32, FN: i32, FH: i32, FW: i32, stride: i32, pad: i32, OH: i32, OW: i32, dcol: usize): void {
  const P = OH * OW, K = C * FH * FW, D = C * H * Wd;
  for (let n = n0; n < n1; n++) {
    sgemmTN(dcol, dout + (<usize>(n * FN * P) << 2), W, 0, P, FN, P, K, false);
    const img = dx + (<usize>(n * D) << 2);
    memory.fill(img, 0, <usize>D << 2);
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const row = dcol + (<usize>((oh * OW + ow) * K) << 2);
        for (let c = 0; c < C; c++) {
          for (let i = 0; i < FH; i++) {
            const y = oh * stride - pad + i;
            if (y < 0 || y >= H) continue;
            for (let j = 0; j < FW; j++) {
              const xx = ow * stride - pad + j;
              if (xx < 0 || xx >= Wd) continue;
              const q = img + (<usize>((c * H + y) * Wd + xx) << 2);
              store<f32>(q, load<f32>(q) + load<f32>(row + (<usize>((c * FH + i) * FW + j) << 2)));
            }
          }
        }
      }
    }
  }
}

// ---- max-pooling ----------------------------------------------------------------------------

/**
 * The book's Pooling.forward (max) for images [n0, n1): out (N, C, OH, OW) = each window's
 * largest value (padding counts as 0, as the book's im2col pads), argmax (N, C, OH, OW) i32 =
 * its index in the image's C*H*W values, -1 for padding; ties to the first in the window,
 * NaN wins (np.argmax). 2x2 windows of stride 2 without padding go four outputs at a time.
 */
export function maxPoolForward(out: usize, argmax: usize, x: usize, n0: i32, n1: i32, C: i32, H: i32, W: i32, FH: i32, FW: i32, stride: i32, pad: i32, OH: i32, OW: i32): void {
  const D = C * H * W, Q = C * OH * OW;
  const fast = FH === 2 && FW === 2 && stride === 2 && pad === 0;
  const OW4 = fast ? OW & ~3 : 0;
  for (let n = n0; n < n1; n++) {
    const img = x + (<usize>(n * D) << 2);
    const o = out + (<usize>(n * Q) << 2), g = argmax + (<usize>(n * Q) << 2);
    for (let c = 0; c < C; c++) {
      for (let oh = 0; oh < OH; oh++) {
        const q0 = (c * OH + oh) * OW;
        if (fast) {
          const top = (c * H + 2 * oh) * W; // index of the window row's first pixel
          for (let ow = 0; ow < OW4; ow += 4) {
            pool2x2Block4(o + (<usize>(q0 + ow) << 2), g + (<usize>(q0 + ow) << 2), img + (<usize>(top + 2 * ow) << 2), W, top + 2 * ow);
          }
        }
        for (let ow = OW4; ow < OW; ow++) {
          let best: f32 = 0;
          let at = -2;
          for (let i = 0; i < FH; i++) {
            for (let j = 0; j < FW; j++) {
              const y = oh * stride - pad + i, xx = ow * stride - pad + j;
              const inside = y >= 0 && y < H && xx >= 0 && xx < W;
              const k = (c * H + y) * W + xx;
              const v: f32 = inside ? load<f32>(img + (<usize>k << 2)) : 0;
              if (at === -2 || v > best || (v != v && best == best)) {
                best = v;
                at = inside ? k : -1;
              }
            }
          }
          store<f32>(o + (<usize>(q0 + ow) << 2), best);
          store<i32>(g + (<usize>(q0 + ow) << 2), at);
        }
      }
    }
  }
}

// Four 2x2 windows side by side (stride 2) whose top-left pixel is at p, index `at` in the
// image: their largest values to out, where they are to arg; the first of ties in window
// order, NaN over numbers.
@inline function pool2x2Block4(out: usize, arg: usize, p: usize, W: i32, at: i32): void {
  const u0 = v128.load(p), u1 = v128.load(p, 16);
  const l0 = v128.load(p + (<usize>W << 2)), l1 = v128.load(p + (<usize>W << 2), 16);
  const at0 = i32x4.add(i32x4.splat(at), i32x4(0, 2, 4, 6));
  let best = i32x4.shuffle(u0, u1, 0, 2, 4, 6);
  let idx = at0;
  let v = i32x4.shuffle(u0, u1, 1, 3, 5, 7);
  let wins = beats(v, best);
  best = v128.bitselect(v, best, wins);
  idx = v128.bitselect(i32x4.add(at0, i32x4.splat(1)), idx, wins);
  v = i32x4.shuffle(l0, l1, 0, 2, 4, 6);
  wins = beats(v, best);
  best = v128.bitselect(v, best, wins);
  idx = v128.bitselect(i32x4.add(at0, i32x4.splat(W)), idx, wins);
  v = i32x4.shuffle(l0, l1, 1, 3, 5, 7);
  wins = beats(v, best);
  best = v128.bitselect(v, best, wins);
  idx = v128.bitselect(i32x4.add(at0, i32x4.splat(W + 1)), idx, wins);
  v128.store(out, best);
  v128.store(arg, idx);
}

// Lanes where v beats best: greater, or NaN over a number (np.argmax's rule).
@inline function beats(v: v128, best: v128): v128 {
  return v128.or(f32x4.gt(v, best), v128.and(f32x4.ne(v, v), f32x4.eq(best, best)));
}

/**
 * The book's Pooling.backward for images [n0, n1): dx (N, C*H*W) = each dout (N, C, OH, OW)
 * added at its argmax (windows ascending), zero elsewhere; padding's share is dropped.
 */
export function maxPoolBackward(dx: usize, dout: usize, argmax: usize, n0: i32, n1: i32, D: i32, Q: i32): void {
  for (let n = n0; n < n1; n++) {
    const img = dx + (<usize>(n * D) << 2);
    memory.fill(img, 0, <usize>D << 2);
    const d = dout + (<usize>(n * Q) << 2), g = argmax + (<usize>(n * Q) << 2);
    for (let q = 0; q < Q; q++) {
      const at = load<i32>(g + (<usize>q << 2));
      if (at >= 0) {
        const p = img + (<usize>at << 2);
        store<f32>(p, load<f32>(p) + load<f32>(d + (<usize>q << 2)));
      }
    }
  }
}

// ---- the first layer fused: convolution -> ReLU -> 2x2 max-pooling ---------------------------
//
// The book's first block (Convolution, Relu, Pooling 2x2 stride 2) without its (N, FN, OH, OW)
// activations in memory: they are 7 MB at batch 100 for SimpleConvNet, and three passes
// over them (ReLU, pooling, and the same again backward) cost more than the arithmetic.

/**
 * pooled (N, FN, OH/2, OW/2), argmax (same shape, i32) = maxPoolForward(reluForward(
 * convForward(x))) for images [n0, n1), convolution stride 1 (any padding) from the nonzero
 * pixels (as convForwardDirect), pooling 2x2 stride 2: the same values and argmax (an index
 * into the image's FN*OH*OW activations) as the three kernels one after the other. OH and
 * OW must be even, and so must B. argmax 0: not wanted (inference). Scratch as
 * convForwardDirect's (the band's last row holds a pooled row's values and argmaxes).
 */
export function convReluPoolForward(pooled: usize, argmax: usize, x: usize, W: usize, b: usize, n0: i32, n1: i32, C: i32, H: i32, Wd: i32, FN: i32, FH: i32, FW: i32, pad: i32, OH: i32, OW: i32, wt: usize, pix: usize, band: usize, B: i32): void {
  const K = C * FH * FW, P = OH * OW, D = C * H * Wd;
  const PH = OH >> 1, PW = OW >> 1, Q = FN * PH * PW;
  const FNp = (FN + 7) & ~7;
  const fnBytes = <usize>FNp << 2, rowBytes = <usize>OW * fnBytes;
  const plane = <usize>(PH * PW) << 2;
  transposeFilters(wt, W, FN, K, FNp);
  for (let n = n0; n < n1; n++) {
    listPixels(pix, x + (<usize>(n * D) << 2), C * H, Wd);
    const po = pooled + (<usize>(n * Q) << 2), ao = argmax + (<usize>(n * Q) << 2);
    for (let o0 = 0; o0 < OH; o0 += B) {
      const o1 = min(o0 + B, OH);
      scatterBand(band, wt, pix, o0, o1, C, H, FH, FW, pad, OW, fnBytes);
      for (let oy = o0; oy < o1; oy += 2) {
        // Pooled row oy / 2 into (PW, FNp) rows of values and argmaxes after the band, then to
        // their planes.
        const top = band + <usize>(oy - o0) * rowBytes;
        const values = band + <usize>B * rowBytes, where = values + <usize>PW * fnBytes;
        for (let pw = 0; pw < PW; pw++) {
          // The window's four activations in order (top left, top right, bottom left, bottom
          // right), four filters a vector; the first of ties wins, as np.argmax.
          const a = top + <usize>(2 * pw) * fnBytes;
          for (let f = 0; f < FN; f += 4) {
            const fb = <usize>f << 2;
            const bias = v128.load(b + fb);
            const c0 = relu(f32x4.add(v128.load(a + fb), bias));
            const c1 = relu(f32x4.add(v128.load(a + fnBytes + fb), bias));
            const c2 = relu(f32x4.add(v128.load(a + rowBytes + fb), bias));
            const c3 = relu(f32x4.add(v128.load(a + rowBytes + fnBytes + fb), bias));
            const w1 = f32x4.gt(c1, c0);
            let best = v128.bitselect(c1, c0, w1);
            const w2 = f32x4.gt(c2, best);
            best = v128.bitselect(c2, best, w2);
            const w3 = f32x4.gt(c3, best);
            v128.store(values + <usize>pw * fnBytes + fb, v128.bitselect(c3, best, w3));
            if (argmax !== 0) {
              // Each lane's index in its filter's activations, f * P + oy * OW + 2 * pw, plus
              // the winner's offset in the window (0, 1, OW or OW + 1).
              const at = i32x4.add(i32x4.mul(i32x4(f, f + 1, f + 2, f + 3), i32x4.splat(P)), i32x4.splat(oy * OW + 2 * pw));
              let w = v128.bitselect(i32x4.add(at, i32x4.splat(1)), at, w1);
              w = v128.bitselect(i32x4.add(at, i32x4.splat(OW)), w, w2);
              v128.store(where + <usize>pw * fnBytes + fb, v128.bitselect(i32x4.add(at, i32x4.splat(OW + 1)), w, w3));
            }
          }
        }
        const q = <usize>((oy >> 1) * PW) << 2;
        storePlanes(po + q, values, PW, FN, fnBytes, plane);
        if (argmax !== 0) storePlanes(ao + q, where, PW, FN, fnBytes, plane);
      }
    }
  }
}

/**
 * dW (FN, K) and db (FN) for filters [f0, f1) over images [n0, n1), from the pooled
 * gradient: what convWeightGrad and convBiasGrad give for dout = reluBackward(
 * maxPoolBackward(dpooled)), bit for bit, without that (N, FN, OH, OW) dout. A pooled value
 * is nonzero only where its activation was positive, so the entries that reach a window are
 * those with pooled > 0 and dpooled != 0, at their argmax, taken in the activations' scan
 * order. db is left alone when 0. (OH and OW are even, so convBiasGrad's four lanes have no
 * tail.) Convolution stride 1, no padding, C*FH <= 5, FW <= 8 (the book's
 * first layer); pooling 2x2 stride 2. Scratch: acc (10 x 4) floats, list (OH*OW/4 + 3) entries of 8 bytes.
 */
export function convWeightGradPooled(dW: usize, db: usize, x: usize, dpooled: usize, pooled: usize, argmax: usize, n0: i32, n1: i32, f0: i32, f1: i32, C: i32, H: i32, Wd: i32, FN: i32, FH: i32, FW: i32, OH: i32, OW: i32, acc: usize, list: usize): void {
  windowWeightGrad(dW, db, x, 0, pooled, dpooled, argmax, n0, n1, f0, f1, C, H, Wd, FN, FH, FW, 1, OH, OW, acc, list);
}
