// WebAssembly SIMD kernels (AssemblyScript, f32x4), float32 only.
//
// Every argument is a byte offset into the one linear memory that JavaScript shares with us:
// the backend in ../wasm.ts hands out matrices as views of that memory, so no call copies
// anything. Matrices are row-major and dense unless the name says "sparse"; each allocation
// is followed by at least 64 bytes of padding, so a 16-float block may read past a row's
// end (those lanes are never stored). Sums run in the reference's order (k, then i,
// ascending) but in float32, so results agree with reference.ts to float32 round-off.
//
// "Sparse" inputs are images as per-image lists of nonzero pixels (cols: u16 column
// indices, pixels: the u8 pixel values, read through SCALE as pixel / 255), with a batch
// given as a rows table of (start, end) entry indices per row. Skipping zeros is exact:
// 0 * w adds nothing. One byte a value instead of four keeps MNIST's lists at 27 MB, which
// halves the time spent faulting in fresh pages at start-up.

import { relu, storeLanes } from './lanes';

// SCALE[p] = p / 255 as float32 (the book's normalize=True), filled by initScale.
const SCALE: usize = memory.data(256 * 4, 16);

/** Fills SCALE; JavaScript calls it once per memory, before any sparse kernel. */
export function initScale(): void {
  for (let p = 0; p < 256; p++) store<f32>(SCALE + (<usize>p << 2), <f32>(<f64>p / 255.0));
}

// The value of entry e of a pixel list.
@inline function pixelValue(pixels: usize, e: i32): f32 {
  return load<f32>(SCALE + (<usize>load<u8>(pixels + <usize>e) << 2));
}

// ---- helpers --------------------------------------------------------------------------

// Loads 4 floats at ptr with the lanes from n on set to zero.
@inline function loadLanes(ptr: usize, n: i32): v128 {
  const keep = i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(n));
  return v128.and(v128.load(ptr), keep);
}

// Stores a 16-float block of which the first m floats are wanted.
@inline function storeBlock4(dst: usize, a0: v128, a1: v128, a2: v128, a3: v128, m: i32): void {
  storeLanes(dst, a0, m);
  if (m > 4) storeLanes(dst + 16, a1, m - 4);
  if (m > 8) storeLanes(dst + 32, a2, m - 8);
  if (m > 12) storeLanes(dst + 48, a3, m - 12);
}

// ---- sparse first layer ---------------------------------------------------------------

// Sparse rows times W for a 28-float column block (m of them wanted): seven accumulators
// held in registers across the whole nonzero list (measured faster than 13 or 4 on x64).
@inline function sparseRowBlock7(dst: usize, cols: usize, vals: usize, start: i32, end: i32, w: usize, H: i32, m: i32): void {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let a2 = f32x4.splat(0);
  let a3 = f32x4.splat(0);
  let a4 = f32x4.splat(0);
  let a5 = f32x4.splat(0);
  let a6 = f32x4.splat(0);
  for (let e = start; e < end; e++) {
    const s = f32x4.splat(pixelValue(vals, e));
    const p = w + (<usize>(<i32>load<u16>(cols + (<usize>e << 1)) * H) << 2);
    a0 = f32x4.add(a0, f32x4.mul(s, v128.load(p, 0)));
    a1 = f32x4.add(a1, f32x4.mul(s, v128.load(p, 16)));
    a2 = f32x4.add(a2, f32x4.mul(s, v128.load(p, 32)));
    a3 = f32x4.add(a3, f32x4.mul(s, v128.load(p, 48)));
    a4 = f32x4.add(a4, f32x4.mul(s, v128.load(p, 64)));
    a5 = f32x4.add(a5, f32x4.mul(s, v128.load(p, 80)));
    a6 = f32x4.add(a6, f32x4.mul(s, v128.load(p, 96)));
  }
  storeLanes(dst + 0, a0, m - 0);
  storeLanes(dst + 16, a1, m - 4);
  storeLanes(dst + 32, a2, m - 8);
  storeLanes(dst + 48, a3, m - 12);
  storeLanes(dst + 64, a4, m - 16);
  storeLanes(dst + 80, a5, m - 20);
  storeLanes(dst + 96, a6, m - 24);
}

// Sparse rows times W for a 16-float column block (m of them wanted).
@inline function sparseRowBlock4(dst: usize, cols: usize, vals: usize, start: i32, end: i32, w: usize, H: i32, m: i32): void {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let a2 = f32x4.splat(0);
  let a3 = f32x4.splat(0);
  for (let e = start; e < end; e++) {
    const s = f32x4.splat(pixelValue(vals, e));
    const p = w + (<usize>(<i32>load<u16>(cols + (<usize>e << 1)) * H) << 2);
    a0 = f32x4.add(a0, f32x4.mul(s, v128.load(p, 0)));
    a1 = f32x4.add(a1, f32x4.mul(s, v128.load(p, 16)));
    a2 = f32x4.add(a2, f32x4.mul(s, v128.load(p, 32)));
    a3 = f32x4.add(a3, f32x4.mul(s, v128.load(p, 48)));
  }
  storeBlock4(dst, a0, a1, a2, a3, m);
}

// The same for a 24-float block: the book's 50 hidden units are 28 + 22, and 24 lanes do
// the 22 with one multiply-add fewer per pixel than 28.
@inline function sparseRowBlock6(dst: usize, cols: usize, vals: usize, start: i32, end: i32, w: usize, H: i32, m: i32): void {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let a2 = f32x4.splat(0);
  let a3 = f32x4.splat(0);
  let a4 = f32x4.splat(0);
  let a5 = f32x4.splat(0);
  for (let e = start; e < end; e++) {
    const s = f32x4.splat(pixelValue(vals, e));
    const p = w + (<usize>(<i32>load<u16>(cols + (<usize>e << 1)) * H) << 2);
    a0 = f32x4.add(a0, f32x4.mul(s, v128.load(p, 0)));
    a1 = f32x4.add(a1, f32x4.mul(s, v128.load(p, 16)));
    a2 = f32x4.add(a2, f32x4.mul(s, v128.load(p, 32)));
    a3 = f32x4.add(a3, f32x4.mul(s, v128.load(p, 48)));
    a4 = f32x4.add(a4, f32x4.mul(s, v128.load(p, 64)));
    a5 = f32x4.add(a5, f32x4.mul(s, v128.load(p, 80)));
  }
  storeLanes(dst + 0, a0, m - 0);
  storeLanes(dst + 16, a1, m - 4);
  storeLanes(dst + 32, a2, m - 8);
  storeLanes(dst + 48, a3, m - 12);
  storeLanes(dst + 64, a4, m - 16);
  storeLanes(dst + 80, a5, m - 20);
}

/** One row of X·W from a pixel list: column blocks of 28, then 24 or 16 for the rest. */
@inline function sparseRow(dst: usize, cols: usize, vals: usize, start: i32, end: i32, W: usize, H: i32): void {
  for (let j0 = 0; j0 < H; ) {
    const j = <usize>j0 << 2;
    const m = H - j0;
    if (m > 24) {
      sparseRowBlock7(dst + j, cols, vals, start, end, W + j, H, min(28, m));
      j0 += 28;
    } else if (m > 16) {
      sparseRowBlock6(dst + j, cols, vals, start, end, W + j, H, m);
      j0 += 24;
    } else {
      sparseRowBlock4(dst + j, cols, vals, start, end, W + j, H, m);
      j0 += 16;
    }
  }
}

// Where touchRows leaves the sum of what it read (so the loads are not optimised away).
const TOUCHED: usize = memory.data(16, 16);

/**
 * Reads one byte of every cache line of the rows' entries, cols and vals, before any work on
 * them. A training batch is 100 images from anywhere in the 27 MB of lists, so the first walk
 * over each list waits for memory, one list after another (the hardware prefetcher cannot
 * guess where the next image's list starts); these loads are independent of each other, so
 * the processor has many of them in flight at once, and the walks that follow hit the cache.
 */
@inline function touchRows(rows: usize, r0: i32, r1: i32, cols: usize, vals: usize): void {
  let sum: u32 = 0;
  for (let i = r0; i < r1; i++) {
    const start = load<i32>(rows + (<usize>i << 3));
    const end = load<i32>(rows + (<usize>i << 3), 4);
    if (start >= end) continue;
    for (let e = start; e < end; e += 32) sum += <u32>load<u16>(cols + (<usize>e << 1));
    sum += <u32>load<u16>(cols + (<usize>(end - 1) << 1));
    for (let e = start; e < end; e += 64) sum += <u32>load<u8>(vals + <usize>e);
    sum += <u32>load<u8>(vals + <usize>(end - 1));
  }
  store<u32>(TOUCHED, sum);
}

/** out (N,H) = X (N,D) · W (D,H), X given as sparse rows `rows[r0..r1)`. */
export function sparseMatmul(out: usize, rows: usize, r0: i32, r1: i32, cols: usize, vals: usize, W: usize, H: i32): void {
  touchRows(rows, r0, r1, cols, vals);
  for (let i = r0; i < r1; i++) {
    const start = load<i32>(rows + (<usize>i << 3));
    const end = load<i32>(rows + (<usize>i << 3), 4);
    sparseRow(out + (<usize>(i * H) << 2), cols, vals, start, end, W, H);
  }
}

// ---- the weight gradient by pixel (columns) --------------------------------------------

/**
 * Buckets a batch's entries by pixel, in one pass: pixel k has room for all N rows at slots
 * [k * N, k * N + counts[k]), rows ascending, each slot one u32: the byte offset of the batch
 * row in dout (shifted up 8 bits) and the u8 pixel. counts: (D) i32; records: (D * N) u32.
 * The rows table holds only pixels [k0, k1) (one half of the image, see halfPixel in wasm-image-source.ts), and only
 * their counts are cleared. Needs N * H * 4 < 2^24.
 */
@inline function bucketByPixel(k0: i32, k1: i32, counts: usize, records: usize, rows: usize, N: i32, cols: usize, vals: usize, H: i32): void {
  memory.fill(counts + (<usize>k0 << 2), 0, <usize>(k1 - k0) << 2);
  for (let i = 0; i < N; i++) {
    const end = load<i32>(rows + (<usize>i << 3), 4);
    const offset = <u32>(i * H) << 10; // (i * H * 4) << 8
    for (let e = load<i32>(rows + (<usize>i << 3)); e < end; e++) {
      const k = <i32>load<u16>(cols + (<usize>e << 1));
      const c = counts + (<usize>k << 2);
      const p = load<i32>(c);
      store<i32>(c, p + 1);
      store<u32>(records + (<usize>(k * N + p) << 2), offset | <u32>load<u8>(vals + <usize>e));
    }
  }
}

// One pixel's gradient row, a 28-float block (m wanted): the batch rows that light the pixel
// summed in registers, stored once.
@inline function columnBlock7(dst: usize, start: usize, end: usize, dout: usize, m: i32): void {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let a2 = f32x4.splat(0);
  let a3 = f32x4.splat(0);
  let a4 = f32x4.splat(0);
  let a5 = f32x4.splat(0);
  let a6 = f32x4.splat(0);
  for (let r = start; r < end; r += 4) {
    const record = load<u32>(r);
    const s = f32x4.splat(load<f32>(SCALE + (<usize>(record & 255) << 2)));
    const d = dout + <usize>(record >> 8);
    a0 = f32x4.add(a0, f32x4.mul(s, v128.load(d, 0)));
    a1 = f32x4.add(a1, f32x4.mul(s, v128.load(d, 16)));
    a2 = f32x4.add(a2, f32x4.mul(s, v128.load(d, 32)));
    a3 = f32x4.add(a3, f32x4.mul(s, v128.load(d, 48)));
    a4 = f32x4.add(a4, f32x4.mul(s, v128.load(d, 64)));
    a5 = f32x4.add(a5, f32x4.mul(s, v128.load(d, 80)));
    a6 = f32x4.add(a6, f32x4.mul(s, v128.load(d, 96)));
  }
  storeLanes(dst + 0, a0, m - 0);
  storeLanes(dst + 16, a1, m - 4);
  storeLanes(dst + 32, a2, m - 8);
  storeLanes(dst + 48, a3, m - 12);
  storeLanes(dst + 64, a4, m - 16);
  storeLanes(dst + 80, a5, m - 20);
  storeLanes(dst + 96, a6, m - 24);
}

// The same for a 16-float block.
@inline function columnBlock4(dst: usize, start: usize, end: usize, dout: usize, m: i32): void {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let a2 = f32x4.splat(0);
  let a3 = f32x4.splat(0);
  for (let r = start; r < end; r += 4) {
    const record = load<u32>(r);
    const s = f32x4.splat(load<f32>(SCALE + (<usize>(record & 255) << 2)));
    const d = dout + <usize>(record >> 8);
    a0 = f32x4.add(a0, f32x4.mul(s, v128.load(d, 0)));
    a1 = f32x4.add(a1, f32x4.mul(s, v128.load(d, 16)));
    a2 = f32x4.add(a2, f32x4.mul(s, v128.load(d, 32)));
    a3 = f32x4.add(a3, f32x4.mul(s, v128.load(d, 48)));
  }
  storeBlock4(dst, a0, a1, a2, a3, m);
}

// The same for a 24-float block.
@inline function columnBlock6(dst: usize, start: usize, end: usize, dout: usize, m: i32): void {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let a2 = f32x4.splat(0);
  let a3 = f32x4.splat(0);
  let a4 = f32x4.splat(0);
  let a5 = f32x4.splat(0);
  for (let r = start; r < end; r += 4) {
    const record = load<u32>(r);
    const s = f32x4.splat(load<f32>(SCALE + (<usize>(record & 255) << 2)));
    const d = dout + <usize>(record >> 8);
    a0 = f32x4.add(a0, f32x4.mul(s, v128.load(d, 0)));
    a1 = f32x4.add(a1, f32x4.mul(s, v128.load(d, 16)));
    a2 = f32x4.add(a2, f32x4.mul(s, v128.load(d, 32)));
    a3 = f32x4.add(a3, f32x4.mul(s, v128.load(d, 48)));
    a4 = f32x4.add(a4, f32x4.mul(s, v128.load(d, 64)));
    a5 = f32x4.add(a5, f32x4.mul(s, v128.load(d, 80)));
  }
  storeLanes(dst + 0, a0, m - 0);
  storeLanes(dst + 16, a1, m - 4);
  storeLanes(dst + 32, a2, m - 8);
  storeLanes(dst + 48, a3, m - 12);
  storeLanes(dst + 64, a4, m - 16);
  storeLanes(dst + 80, a5, m - 20);
}

/**
 * dW rows [k0, k1) of X^T (D,N) · dout (N,H), X given as sparse rows holding only pixels
 * [k0, k1): the entries bucketed by pixel, then each dW row summed over the batch rows in
 * order (the reference's order) in registers and stored once; a pixel no image lights gets
 * a zero row.
 */
export function sparseWeightGrad(dW: usize, k0: i32, k1: i32, counts: usize, records: usize, rows: usize, N: i32, cols: usize, vals: usize, dout: usize, H: i32): void {
  bucketByPixel(k0, k1, counts, records, rows, N, cols, vals, H);
  for (let k = k0; k < k1; k++) {
    const start = records + (<usize>(k * N) << 2);
    const end = start + (<usize>load<i32>(counts + (<usize>k << 2)) << 2);
    const dst = dW + (<usize>(k * H) << 2);
    if (start === end) {
      memory.fill(dst, 0, <usize>H << 2);
      continue;
    }
    for (let j0 = 0; j0 < H; ) {
      const j = <usize>j0 << 2;
      const m = H - j0;
      if (m > 24) {
        columnBlock7(dst + j, start, end, dout + j, min(28, m));
        j0 += 28;
      } else if (m > 16) {
        columnBlock6(dst + j, start, end, dout + j, m);
        j0 += 24;
      } else {
        columnBlock4(dst + j, start, end, dout + j, m);
        j0 += 16;
      }
    }
  }
}

// ---- dense kernels --------------------------------------------------------------------

// Stores three rows of H <= 12 floats from three vectors each (row r in cr0, cr1, cr2).
@inline function storeRows3(dst: usize, H: i32, c00: v128, c01: v128, c02: v128, c10: v128, c11: v128, c12: v128, c20: v128, c21: v128, c22: v128): void {
  const row = <usize>H << 2;
  storeLanes(dst, c00, H);
  storeLanes(dst + 16, c01, H - 4);
  storeLanes(dst + 32, c02, H - 8);
  storeLanes(dst + row, c10, H);
  storeLanes(dst + row + 16, c11, H - 4);
  storeLanes(dst + row + 32, c12, H - 8);
  storeLanes(dst + 2 * row, c20, H);
  storeLanes(dst + 2 * row + 16, c21, H - 4);
  storeLanes(dst + 2 * row + 32, c22, H - 8);
}

/**
 * Three rows of out = a · b for H <= 12 (the book's 10 classes): each b row's 12 floats are
 * loaded once for the three rows (lanes past H, read from the next row or the padding, are
 * never stored). The same sums in the same order as matmul's other loop.
 */
@inline function matmulRows3(out: usize, a: usize, b: usize, i: i32, D: i32, H: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c22 = f32x4.splat(0);
  const ra = a + (<usize>(i * D) << 2);
  const rowBytes = <usize>D << 2;
  for (let k = 0; k < D; k++) {
    const p = b + (<usize>(k * H) << 2);
    const w0 = v128.load(p, 0), w1 = v128.load(p, 16), w2 = v128.load(p, 32);
    const q = ra + (<usize>k << 2);
    const s0 = f32x4.splat(load<f32>(q));
    const s1 = f32x4.splat(load<f32>(q + rowBytes));
    const s2 = f32x4.splat(load<f32>(q + 2 * rowBytes));
    c00 = f32x4.add(c00, f32x4.mul(s0, w0));
    c01 = f32x4.add(c01, f32x4.mul(s0, w1));
    c02 = f32x4.add(c02, f32x4.mul(s0, w2));
    c10 = f32x4.add(c10, f32x4.mul(s1, w0));
    c11 = f32x4.add(c11, f32x4.mul(s1, w1));
    c12 = f32x4.add(c12, f32x4.mul(s1, w2));
    c20 = f32x4.add(c20, f32x4.mul(s2, w0));
    c21 = f32x4.add(c21, f32x4.mul(s2, w1));
    c22 = f32x4.add(c22, f32x4.mul(s2, w2));
  }
  storeRows3(out + (<usize>(i * H) << 2), H, c00, c01, c02, c10, c11, c12, c20, c21, c22);
}

/** out (N,H) = a (N,D) · b (D,H), rows [r0, r1) of out. */
export function matmul(out: usize, a: usize, b: usize, r0: i32, r1: i32, D: i32, H: i32): void {
  if (H <= 12) {
    for (; r0 + 3 <= r1; r0 += 3) matmulRows3(out, a, b, r0, D, H);
  }
  for (let i = r0; i < r1; i++) {
    const ra = a + (<usize>(i * D) << 2);
    for (let j0 = 0; j0 < H; j0 += 16) {
      let a0 = f32x4.splat(0);
      let a1 = f32x4.splat(0);
      let a2 = f32x4.splat(0);
      let a3 = f32x4.splat(0);
      const bj = b + (<usize>j0 << 2);
      for (let k = 0; k < D; k++) {
        const s = f32x4.splat(load<f32>(ra + (<usize>k << 2)));
        const p = bj + (<usize>(k * H) << 2);
        a0 = f32x4.add(a0, f32x4.mul(s, v128.load(p, 0)));
        a1 = f32x4.add(a1, f32x4.mul(s, v128.load(p, 16)));
        a2 = f32x4.add(a2, f32x4.mul(s, v128.load(p, 32)));
        a3 = f32x4.add(a3, f32x4.mul(s, v128.load(p, 48)));
      }
      storeBlock4(out + (<usize>(i * H + j0) << 2), a0, a1, a2, a3, min(16, H - j0));
    }
  }
}

/**
 * Three rows of dW = x^T · dout for H <= 12: each dout row's 12 floats are loaded once for
 * the three columns of x (lanes past H are never stored). The same sums in the same order as
 * matmulTransA's other loop.
 */
@inline function matmulTransARows3(dW: usize, x: usize, dout: usize, k: i32, N: i32, D: i32, H: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c22 = f32x4.splat(0);
  for (let i = 0; i < N; i++) {
    const p = dout + (<usize>(i * H) << 2);
    const d0 = v128.load(p, 0), d1 = v128.load(p, 16), d2 = v128.load(p, 32);
    const q = x + (<usize>(i * D + k) << 2);
    const s0 = f32x4.splat(load<f32>(q));
    const s1 = f32x4.splat(load<f32>(q, 4));
    const s2 = f32x4.splat(load<f32>(q, 8));
    c00 = f32x4.add(c00, f32x4.mul(s0, d0));
    c01 = f32x4.add(c01, f32x4.mul(s0, d1));
    c02 = f32x4.add(c02, f32x4.mul(s0, d2));
    c10 = f32x4.add(c10, f32x4.mul(s1, d0));
    c11 = f32x4.add(c11, f32x4.mul(s1, d1));
    c12 = f32x4.add(c12, f32x4.mul(s1, d2));
    c20 = f32x4.add(c20, f32x4.mul(s2, d0));
    c21 = f32x4.add(c21, f32x4.mul(s2, d1));
    c22 = f32x4.add(c22, f32x4.mul(s2, d2));
  }
  storeRows3(dW + (<usize>(k * H) << 2), H, c00, c01, c02, c10, c11, c12, c20, c21, c22);
}

/** dW (D,H) = x^T (D,N) · dout (N,H). */
export function matmulTransA(dW: usize, x: usize, dout: usize, N: i32, D: i32, H: i32): void {
  let k0 = 0;
  if (H <= 12) {
    for (; k0 + 3 <= D; k0 += 3) matmulTransARows3(dW, x, dout, k0, N, D, H);
  }
  for (let k = k0; k < D; k++) {
    for (let j0 = 0; j0 < H; j0 += 16) {
      let a0 = f32x4.splat(0);
      let a1 = f32x4.splat(0);
      let a2 = f32x4.splat(0);
      let a3 = f32x4.splat(0);
      for (let i = 0; i < N; i++) {
        const s = f32x4.splat(load<f32>(x + (<usize>(i * D + k) << 2)));
        const p = dout + (<usize>(i * H + j0) << 2);
        a0 = f32x4.add(a0, f32x4.mul(s, v128.load(p, 0)));
        a1 = f32x4.add(a1, f32x4.mul(s, v128.load(p, 16)));
        a2 = f32x4.add(a2, f32x4.mul(s, v128.load(p, 32)));
        a3 = f32x4.add(a3, f32x4.mul(s, v128.load(p, 48)));
      }
      storeBlock4(dW + (<usize>(k * H + j0) << 2), a0, a1, a2, a3, min(16, H - j0));
    }
  }
}

/**
 * dx (N,D) = dout (N,H) · W^T (H,D). W is first copied transposed into wt (H rows of D4
 * floats, D4 = D rounded up to 4; the caller's scratch, with room for a 28-float block past
 * its end), so each dx row is a sum of wt's rows scaled by that dout row's entries, j
 * ascending (the reference's order), 28 columns at a time in registers. Faster than a dot
 * product per element when H is small (the book's 10 classes): no horizontal sums.
 */
export function matmulTransB(dx: usize, dout: usize, W: usize, N: i32, H: i32, D: i32, wt: usize): void {
  const D4 = (D + 3) & ~3;
  for (let k = 0; k < D; k++) {
    for (let j = 0; j < H; j++) store<f32>(wt + (<usize>(j * D4 + k) << 2), load<f32>(W + (<usize>(k * H + j) << 2)));
  }
  for (let i = 0; i < N; i++) {
    const rd = dout + (<usize>(i * H) << 2);
    const rx = dx + (<usize>(i * D) << 2);
    for (let k0 = 0; k0 < D; k0 += 28) {
      let a0 = f32x4.splat(0);
      let a1 = f32x4.splat(0);
      let a2 = f32x4.splat(0);
      let a3 = f32x4.splat(0);
      let a4 = f32x4.splat(0);
      let a5 = f32x4.splat(0);
      let a6 = f32x4.splat(0);
      for (let j = 0; j < H; j++) {
        const s = f32x4.splat(load<f32>(rd + (<usize>j << 2)));
        const p = wt + (<usize>(j * D4 + k0) << 2);
        a0 = f32x4.add(a0, f32x4.mul(s, v128.load(p, 0)));
        a1 = f32x4.add(a1, f32x4.mul(s, v128.load(p, 16)));
        a2 = f32x4.add(a2, f32x4.mul(s, v128.load(p, 32)));
        a3 = f32x4.add(a3, f32x4.mul(s, v128.load(p, 48)));
        a4 = f32x4.add(a4, f32x4.mul(s, v128.load(p, 64)));
        a5 = f32x4.add(a5, f32x4.mul(s, v128.load(p, 80)));
        a6 = f32x4.add(a6, f32x4.mul(s, v128.load(p, 96)));
      }
      const m = D - k0; // lanes wanted (those past D, read from the next wt row, are dropped)
      const dst = rx + (<usize>k0 << 2);
      storeLanes(dst + 0, a0, m - 0);
      storeLanes(dst + 16, a1, m - 4);
      storeLanes(dst + 32, a2, m - 8);
      storeLanes(dst + 48, a3, m - 12);
      storeLanes(dst + 64, a4, m - 16);
      storeLanes(dst + 80, a5, m - 20);
      storeLanes(dst + 96, a6, m - 24);
    }
  }
}

// ---- softmax ----------------------------------------------------------------------------

/**
 * exp of four floats at once, for arguments <= 0 (softmax's x - max): Cephes' expf, the
 * same method as C libraries' float exp. x = n·ln2 + r with |r| <= ln2/2 (ln2 split in two
 * so n·ln2 is exact), exp(r) by its degree-7 Taylor-like polynomial, times 2^n built in the
 * exponent bits. Within about 1 float32 ulp of the true value; arguments below -87.3 (where
 * the result would leave the normal floats) give exp(-87.3), about 1e-38, instead of 0.
 */
@inline function exp4(x: v128): v128 {
  x = f32x4.max(x, f32x4.splat(-87.33654));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23); // 2^n
  return f32x4.mul(p, scale);
}

/**
 * out (N,C) = softmax of each row of x (N,C): exp(x - row max) / row sum, in float32. The
 * JavaScript kernels take exp in doubles; this agrees with them to float32 round-off, at a
 * tenth of the time (a step takes 1,000 exps).
 */
export function softmax(out: usize, x: usize, N: i32, C: i32): void {
  const n = N * C;
  // x - row max into out, row by row (the max makes every exp argument <= 0: no overflow).
  for (let i = 0; i < N; i++) {
    const r = <usize>(i * C) << 2;
    let max = load<f32>(x + r);
    for (let j = 1; j < C; j++) max = Mathf.max(max, load<f32>(x + r + (<usize>j << 2)));
    for (let j = 0; j < C; j++) store<f32>(out + r + (<usize>j << 2), load<f32>(x + r + (<usize>j << 2)) - max);
  }
  // exp over the whole matrix, four at a time, then the tail.
  const n4 = n & ~3;
  for (let e = 0; e < n4; e += 4) {
    const p = out + (<usize>e << 2);
    v128.store(p, exp4(v128.load(p)));
  }
  if (n4 < n) {
    const p = out + (<usize>n4 << 2);
    storeLanes(p, exp4(loadLanes(p, n - n4)), n - n4);
  }
  // Each row divided by its sum.
  for (let i = 0; i < N; i++) {
    const r = out + (<usize>(i * C) << 2);
    let sum: f32 = 0;
    for (let j = 0; j < C; j++) sum += load<f32>(r + (<usize>j << 2));
    for (let j = 0; j < C; j++) store<f32>(r + (<usize>j << 2), load<f32>(r + (<usize>j << 2)) / sum);
  }
}

/** out (N,H) += b (1,H), rows [r0, r1). */
export function addRowVector(out: usize, b: usize, r0: i32, r1: i32, H: i32): void {
  const H4 = H & ~3;
  for (let i = r0; i < r1; i++) {
    const r = out + (<usize>(i * H) << 2);
    for (let j = 0; j < H4; j += 4) {
      const p = r + (<usize>j << 2);
      v128.store(p, f32x4.add(v128.load(p), v128.load(b + (<usize>j << 2))));
    }
    for (let j = H4; j < H; j++) {
      const p = r + (<usize>j << 2);
      store<f32>(p, load<f32>(p) + load<f32>(b + (<usize>j << 2)));
    }
  }
}

/** db (1,H) = sum over the N rows of dout (N,H), in row order. */
export function sumRows(db: usize, dout: usize, N: i32, H: i32): void {
  for (let j0 = 0; j0 < H; j0 += 4) {
    let acc = f32x4.splat(0);
    for (let i = 0; i < N; i++) acc = f32x4.add(acc, v128.load(dout + (<usize>(i * H + j0) << 2)));
    storeLanes(db + (<usize>j0 << 2), acc, H - j0);
  }
}

// ---- elementwise ----------------------------------------------------------------------

/** y += alpha * x over n floats. */
export function axpy(y: usize, alpha: f32, x: usize, n: i32): void {
  const n4 = n & ~3;
  const va = f32x4.splat(alpha);
  for (let i = 0; i < n4; i += 4) {
    const p = y + (<usize>i << 2);
    v128.store(p, f32x4.add(v128.load(p), f32x4.mul(va, v128.load(x + (<usize>i << 2)))));
  }
  for (let i = n4; i < n; i++) {
    const p = y + (<usize>i << 2);
    store<f32>(p, load<f32>(p) + alpha * load<f32>(x + (<usize>i << 2)));
  }
}

/** out = x where x > 0, else 0 (NaN and -0 give 0, as the reference's comparison does). */
export function reluForward(out: usize, x: usize, n: i32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    v128.store(out + (<usize>i << 2), relu(v128.load(x + (<usize>i << 2))));
  }
  for (let i = n4; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    store<f32>(out + (<usize>i << 2), v > 0 ? v : 0);
  }
}

/** dx = dout where x > 0, else 0. dx may alias dout. */
export function reluBackward(dx: usize, dout: usize, x: usize, n: i32): void {
  const n4 = n & ~3;
  const zero = f32x4.splat(0);
  for (let i = 0; i < n4; i += 4) {
    const mask = f32x4.gt(v128.load(x + (<usize>i << 2)), zero);
    v128.store(dx + (<usize>i << 2), v128.and(v128.load(dout + (<usize>i << 2)), mask));
  }
  for (let i = n4; i < n; i++) {
    store<f32>(dx + (<usize>i << 2), load<f32>(x + (<usize>i << 2)) > 0 ? load<f32>(dout + (<usize>i << 2)) : 0);
  }
}

// ---- pixel lists ----------------------------------------------------------------------

/**
 * Appends the nonzero pixels of `count` uint8 images (D pixels each, at `images`) to the
 * lists: starts[n] = entry index of image n's first pixel, cols = pixel index, vals = the
 * pixel's u8 value. Sixteen pixels are tested at a time: a
 * bit mask of the nonzero ones, walked lowest bit first, so entries stay in pixel order.
 * Returns the entry index after the last one written.
 */
export function buildPixelLists(images: usize, count: i32, D: i32, starts: usize, cols: usize, vals: usize, e: i32): i32 {
  const D16 = D & ~15;
  const zero = i8x16.splat(0);
  for (let n = 0; n < count; n++) {
    store<i32>(starts + (<usize>n << 2), e);
    const img = images + <usize>(n * D);
    for (let k = 0; k < D16; k += 16) {
      let mask = i8x16.bitmask(i8x16.ne(v128.load(img + <usize>k), zero));
      while (mask !== 0) {
        const q = k + ctz(mask);
        mask &= mask - 1;
        store<u16>(cols + (<usize>e << 1), <u16>q);
        store<u8>(vals + <usize>e, load<u8>(img + <usize>q));
        e++;
      }
    }
    for (let q = D16; q < D; q++) {
      const p = <i32>load<u8>(img + <usize>q);
      if (p !== 0) {
        store<u16>(cols + (<usize>e << 1), <u16>q);
        store<u8>(vals + <usize>e, <u8>p);
        e++;
      }
    }
  }
  return e;
}

// ---- evaluation of the book's net -----------------------------------------------------

/**
 * How many of images [n0, n1) the net Affine(W1 (D,H), b1) -> Relu -> Affine(W2 (H,C), b2)
 * classifies as their label, each image start to finish in one call: the hidden layer from
 * the image's pixel list (sums in pixel order, then + b1, then ReLU), the scores as
 * h · W2 (k ascending) + b2, then the first largest score against labels[n]. h: H + 16
 * floats of scratch. C <= 16.
 */
export function countCorrectTwoLayer(n0: i32, n1: i32, starts: usize, cols: usize, vals: usize, labels: usize, W1: usize, b1: usize, H: i32, W2: usize, b2: usize, C: i32, h: usize): i32 {
  let correct = 0;
  const H4 = H & ~3;
  for (let n = n0; n < n1; n++) {
    const start = load<i32>(starts + (<usize>n << 2));
    const end = load<i32>(starts + (<usize>n << 2), 4);
    sparseRow(h, cols, vals, start, end, W1, H);
    for (let j = 0; j < H4; j += 4) {
      const p = h + (<usize>j << 2);
      v128.store(p, relu(f32x4.add(v128.load(p), v128.load(b1 + (<usize>j << 2)))));
    }
    for (let j = H4; j < H; j++) {
      const p = h + (<usize>j << 2);
      const v = load<f32>(p) + load<f32>(b1 + (<usize>j << 2));
      store<f32>(p, v > 0 ? v : 0);
    }
    // Scores in four f32x4 (up to 16 classes); lanes past C are never read.
    let s0 = f32x4.splat(0);
    let s1 = f32x4.splat(0);
    let s2 = f32x4.splat(0);
    let s3 = f32x4.splat(0);
    for (let k = 0; k < H; k++) {
      const a = f32x4.splat(load<f32>(h + (<usize>k << 2)));
      const w = W2 + (<usize>(k * C) << 2);
      s0 = f32x4.add(s0, f32x4.mul(a, v128.load(w, 0)));
      if (C > 4) s1 = f32x4.add(s1, f32x4.mul(a, v128.load(w, 16)));
      if (C > 8) s2 = f32x4.add(s2, f32x4.mul(a, v128.load(w, 32)));
      if (C > 12) s3 = f32x4.add(s3, f32x4.mul(a, v128.load(w, 48)));
    }
    const sc = h + (<usize>H << 2); // the scores, past the hidden activations
    v128.store(sc, s0);
    v128.store(sc, s1, 16);
    v128.store(sc, s2, 32);
    v128.store(sc, s3, 48);
    let best = 0;
    let top: f32 = load<f32>(sc) + load<f32>(b2);
    for (let j = 1; j < C; j++) {
      const v = load<f32>(sc + (<usize>j << 2)) + load<f32>(b2 + (<usize>j << 2));
      if (v > top) {
        top = v;
        best = j;
      }
    }
    if (best === <i32>load<u8>(labels + <usize>n)) correct++;
  }
  return correct;
}
export * from './conv';
export * from './adam';
