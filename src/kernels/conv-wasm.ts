import { assertShape, type Matrix } from '../tensor/matrix.js';
import { convOutputSize, type ConvShape, type FilterShape } from './conv-reference.js';
import { Heap, wasmMemory } from './wasm-heap.js';
import { wasmModule } from './wasm-module.js';

/**
 * The convnet kernels of ./assembly/conv.ts over matrices in the module's shared memory: one
 * thread's handle (its own instance and scratch buffers over the shared memory). Every call
 * takes the range it writes (images, rows or filters), so two threads can split one product
 * and get the numbers one thread gets; scratch is made on first use and reused.
 */

export interface ConvExports {
  sgemmNN(C: number, A: number, B: number, r0: number, r1: number, K: number, N: number, accumulate: boolean): void;
  sgemmTN(C: number, A: number, B: number, r0: number, r1: number, M: number, K: number, N: number, accumulate: boolean): void;
  sgemmNT(C: number, A: number, B: number, r0: number, r1: number, K: number, N: number, Bt: number, transposed: boolean): void;
  transpose(Bt: number, B: number, N: number, K: number): void;
  convForward(out: number, x: number, W: number, b: number, n0: number, n1: number, C: number, H: number, Wd: number, FN: number, FH: number, FW: number, stride: number, pad: number, OH: number, OW: number, colT: number): void;
  convForwardDirect(out: number, x: number, W: number, b: number, n0: number, n1: number, C: number, H: number, Wd: number, FN: number, FH: number, FW: number, pad: number, OH: number, OW: number, wt: number, pix: number, band: number, B: number): void;
  convWeightGrad(dW: number, x: number, dout: number, n0: number, n1: number, f0: number, f1: number, C: number, H: number, Wd: number, FN: number, FH: number, FW: number, stride: number, pad: number, OH: number, OW: number, img: number, dwAcc: number, list: number): void;
  convBiasGrad(db: number, dout: number, N: number, f0: number, f1: number, FN: number, P: number): void;
  convInputGrad(dx: number, dout: number, W: number, n0: number, n1: number, C: number, H: number, Wd: number, FN: number, FH: number, FW: number, stride: number, pad: number, OH: number, OW: number, dcol: number): void;
  convReluPoolForward(pooled: number, argmax: number, x: number, W: number, b: number, n0: number, n1: number, C: number, H: number, Wd: number, FN: number, FH: number, FW: number, pad: number, OH: number, OW: number, wt: number, pix: number, band: number, B: number): void;
  convWeightGradPooled(dW: number, db: number, x: number, dpooled: number, pooled: number, argmax: number, n0: number, n1: number, f0: number, f1: number, C: number, H: number, Wd: number, FN: number, FH: number, FW: number, OH: number, OW: number, acc: number, list: number): void;
  maxPoolForward(out: number, argmax: number, x: number, n0: number, n1: number, C: number, H: number, W: number, FH: number, FW: number, stride: number, pad: number, OH: number, OW: number): void;
  maxPoolBackward(dx: number, dout: number, argmax: number, n0: number, n1: number, D: number, Q: number): void;
  adamUpdate(p: number, m: number, v: number, g: number, i0: number, i1: number, beta1: number, beta2: number, lrT: number, eps: number): void;
}

/** A range [start, end) of what a call writes; the whole when left out. */
export type Range = readonly [number, number];

export interface ConvWasm {
  readonly memory: WebAssembly.Memory;
  readonly heap: Heap;
  readonly exports: ConvExports;
  /** A zero-filled (rows, cols) matrix in the shared memory. */
  alloc(rows: number, cols: number): Matrix;
  /** A zero-filled int32 array in the shared memory (pooling's argmax). */
  int32(n: number): Int32Array;

  /** C (M,N) = A (M,K) · B (K,N), rows `rows` of C; C += A · B when `accumulate`. */
  sgemmNN(C: Matrix, A: Matrix, B: Matrix, rows?: Range, accumulate?: boolean): void;
  /** C (K,N) = A^T · B for A (M,K), B (M,N), rows `rows` of C; += when `accumulate`. */
  sgemmTN(C: Matrix, A: Matrix, B: Matrix, rows?: Range, accumulate?: boolean): void;
  /**
   * C (M,N) = A (M,K) · B^T for B (N,K), rows `rows` of C. Copies B^T into this handle's
   * scratch first, unless `transposed` gives a (K, N) matrix already holding it (made by
   * `transpose`, so that two threads share one copy).
   */
  sgemmNT(C: Matrix, A: Matrix, B: Matrix, rows?: Range, transposed?: Matrix): void;
  /** Bt (K,N) = B^T for B (N,K). */
  transpose(Bt: Matrix, B: Matrix): void;

  /**
   * out (N, FN*OH*OW) = the convolution of x (N, C*H*W) with W (FN, C*FH*FW) plus b (1, FN),
   * images `images`. `sparse` (stride 1): from the image's nonzero pixels only (the same
   * numbers, faster when most pixels are zero, as MNIST's are).
   */
  convForward(out: Matrix, x: Matrix, W: Matrix, b: Matrix, s: FilterShape, options?: { images?: Range; sparse?: boolean }): void;
  /** dW (FN, C*FH*FW) = the weight gradient over images `images`, filters `filters` of dW. */
  convWeightGrad(dW: Matrix, x: Matrix, dout: Matrix, s: FilterShape, options?: { images?: Range; filters?: Range }): void;
  /** db (1, FN) = dout (N, FN*OH*OW) summed over images and positions, filters `filters`. */
  convBiasGrad(db: Matrix, dout: Matrix, s: FilterShape, filters?: Range): void;
  /** dx (N, C*H*W) = the input gradient, images `images`. */
  convInputGrad(dx: Matrix, dout: Matrix, W: Matrix, s: FilterShape, images?: Range): void;
  /** out (N, C*OH*OW) = max over each window of x (N, C*H*W), argmax where it was; images `images`. */
  maxPoolForward(out: Matrix, argmax: Int32Array, x: Matrix, s: ConvShape, images?: Range): void;
  /** dx (N, C*H*W) = dout (N, C*OH*OW) routed to the argmax, images `images`. */
  maxPoolBackward(dx: Matrix, dout: Matrix, argmax: Int32Array, s: ConvShape, images?: Range): void;

  /**
   * The first block fused (convolution stride 1 -> ReLU -> max-pool 2x2 stride 2): pooled
   * (N, FN*OH/2*OW/2) and argmax (an index into an image's FN*OH*OW activations) exactly as
   * convForward, reluForward and maxPoolForward give them, without the activations; argmax
   * null when nobody will read it (inference).
   */
  convReluPoolForward(pooled: Matrix, argmax: Int32Array | null, x: Matrix, W: Matrix, b: Matrix, s: FilterShape, images?: Range): void;
  /**
   * Its weight and bias gradients from dpooled (N, FN*OH/2*OW/2): convWeightGrad's and
   * convBiasGrad's of the gradient the pool and ReLU would route back, bit for bit (stride 1,
   * no padding, C*FH <= 5, FW <= 8: the book's first layer).
   * Filters `filters` (of dW and db), images `images`; db null: the weights' only.
   */
  convWeightGradPooled(dW: Matrix, db: Matrix | null, x: Matrix, dpooled: Matrix, pooled: Matrix, argmax: Int32Array, s: FilterShape, options?: { images?: Range; filters?: Range }): void;

  /**
   * Adam's step in one pass over elements `range` of p (m, v: its moments, g: its gradient):
   * m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g^2; p -= lrT m / (sqrt(v) + eps),
   * in float32.
   */
  adamUpdate(p: Matrix, m: Matrix, v: Matrix, g: Matrix, h: { beta1: number; beta2: number; lrT: number; eps: number }, range?: Range): void;
}

function checkRange(what: string, r: Range, n: number): void {
  if (!(Number.isInteger(r[0]) && Number.isInteger(r[1]) && 0 <= r[0] && r[0] <= r[1] && r[1] <= n)) {
    throw new RangeError(`${what}: range [${r[0]}, ${r[1]}) is not inside [0, ${n})`);
  }
}

/**
 * One thread's convnet kernels; `memory`/`heap` to share another thread's (workers). With
 * `remote`, a handle whose calls are handed to `remote` (the export's name and its
 * arguments) instead of run here: another thread's share, with its own scratch buffers.
 */
export function convWasm(options: { memory?: WebAssembly.Memory; heap?: Heap; module?: WebAssembly.Module; remote?: (name: keyof ConvExports, args: number[]) => void } = {}): ConvWasm {
  const fresh = options.memory === undefined ? wasmMemory() : null;
  const memory = options.memory ?? fresh!.memory;
  const heap = options.heap ?? fresh!.heap;
  const remote = options.remote;
  const w =
    remote !== undefined
      ? (new Proxy({}, { get: (_, name) => (...args: (number | boolean)[]) => remote(name as keyof ConvExports, args.map(Number)) }) as ConvExports)
      : (new WebAssembly.Instance(options.module ?? wasmModule(), { env: { memory } }).exports as unknown as ConvExports);

  const scratch = new Map<string, { ptr: number; bytes: number }>();
  /** This handle's scratch block named `name`, at least `bytes` long (grown, never shrunk). */
  const scratchOf = (name: string, bytes: number): number => {
    const s = scratch.get(name);
    if (s !== undefined && s.bytes >= bytes) return s.ptr;
    if (s !== undefined) heap.release(s.ptr, s.bytes);
    const ptr = heap.allocBytes(bytes);
    scratch.set(name, { ptr, bytes });
    return ptr;
  };
  const ptr = (m: Matrix | Int32Array): number => {
    const data = 'data' in m ? m.data : m;
    if (!(data instanceof Float32Array || data instanceof Int32Array) || !heap.owns(data)) {
      throw new TypeError('conv kernels: every matrix must be allocated by this backend (float32, in its memory)');
    }
    return data.byteOffset;
  };
  const filterSizes = (s: FilterShape) => {
    const { OH, OW } = convOutputSize(s);
    if (!Number.isInteger(s.FN) || s.FN < 1) throw new RangeError(`conv: FN must be an integer >= 1, got ${s.FN}`);
    return { OH, OW, K: s.C * s.FH * s.FW, P: OH * OW, D: s.C * s.H * s.W };
  };

  /** The fused first block's sizes, checked: stride 1, even activations for 2x2 pooling. */
  const pooledSizes = (s: FilterShape) => {
    const z = filterSizes(s);
    if (s.stride !== 1) throw new RangeError(`convReluPool: the fused first block needs stride 1, got ${s.stride}`);
    if (z.OH % 2 !== 0 || z.OW % 2 !== 0) throw new RangeError(`convReluPool: 2x2 pooling needs even activations, got ${z.OH}x${z.OW}`);
    return { ...z, PQ: (z.OH / 2) * (z.OW / 2) };
  };
  /**
   * Scratch of the kernels that scatter nonzero pixels (convForwardDirect, convReluPoolForward):
   * the filters transposed (K, FNp), the pixel lists, and a band of B output rows of (OW, FNp)
   * floats plus one more row, B even and the band within 16 kB (the level-1 cache).
   */
  const directScratch = (s: FilterShape, OW: number) => {
    const FNp = (s.FN + 7) & ~7, rowBytes = OW * FNp * 4;
    const B = Math.max(2, Math.floor(16384 / rowBytes) & ~1);
    const wt = scratchOf('wt', s.C * s.FH * s.FW * FNp * 4); // wt: (K, FNp)
    const pix = scratchOf('pix', (((s.C * s.H + 4) & ~3) + 2 * s.C * s.H * s.W) * 4); // pix: (C*H + 4) i32, then (C*H*W) (column, value) pairs
    const band = scratchOf('band', (B + 1) * rowBytes); // band: (B + 1, OW, FNp)
    return { wt, pix, band, B };
  };
  const checkArgmax = (what: string, argmax: Int32Array, n: number) => {
    if (argmax.length !== n) throw new RangeError(`${what} argmax: expected ${n} values, got ${argmax.length}`);
  };

  return {
    memory,
    heap,
    exports: w,
    alloc(rows, cols) {
      return { rows, cols, data: heap.float32(rows * cols) };
    },
    int32(n) {
      return heap.int32(n);
    },

    sgemmNN(C, A, B, rows = [0, A.rows], accumulate = false) {
      const M = A.rows, K = A.cols, N = B.cols;
      assertShape('sgemmNN B', B, K, N);
      assertShape('sgemmNN C', C, M, N);
      checkRange('sgemmNN rows', rows, M);
      w.sgemmNN(ptr(C), ptr(A), ptr(B), rows[0], rows[1], K, N, accumulate);
    },

    sgemmTN(C, A, B, rows = [0, A.cols], accumulate = false) {
      const M = A.rows, K = A.cols, N = B.cols;
      assertShape('sgemmTN B', B, M, N);
      assertShape('sgemmTN C', C, K, N);
      checkRange('sgemmTN rows', rows, K);
      w.sgemmTN(ptr(C), ptr(A), ptr(B), rows[0], rows[1], M, K, N, accumulate);
    },

    sgemmNT(C, A, B, rows = [0, A.rows], transposed) {
      const M = A.rows, K = A.cols, N = B.rows;
      assertShape('sgemmNT B', B, N, K);
      assertShape('sgemmNT C', C, M, N);
      checkRange('sgemmNT rows', rows, M);
      if (transposed !== undefined) {
        assertShape('sgemmNT transposed', transposed, K, N);
        w.sgemmNT(ptr(C), ptr(A), ptr(B), rows[0], rows[1], K, N, ptr(transposed), true);
      } else {
        w.sgemmNT(ptr(C), ptr(A), ptr(B), rows[0], rows[1], K, N, scratchOf('Bt', K * N * 4), false); // Bt: (K, N)
      }
    },

    transpose(Bt, B) {
      assertShape('transpose Bt', Bt, B.cols, B.rows);
      w.transpose(ptr(Bt), ptr(B), B.rows, B.cols);
    },

    convForward(out, x, W, b, s, { images = [0, s.N] as Range, sparse = false } = {}) {
      const { OH, OW, K, P, D } = filterSizes(s);
      assertShape('convForward x', x, s.N, D);
      assertShape('convForward W', W, s.FN, K);
      assertShape('convForward b', b, 1, s.FN);
      assertShape('convForward out', out, s.N, s.FN * P);
      checkRange('convForward images', images, s.N);
      const [n0, n1] = images;
      if (sparse && s.stride === 1) {
        const { wt, pix, band, B } = directScratch(s, OW);
        w.convForwardDirect(ptr(out), ptr(x), ptr(W), ptr(b), n0, n1, s.C, s.H, s.W, s.FN, s.FH, s.FW, s.pad, OH, OW, wt, pix, band, B);
      } else {
        const colT = scratchOf('colT', K * P * 4); // colT: (K, P)
        w.convForward(ptr(out), ptr(x), ptr(W), ptr(b), n0, n1, s.C, s.H, s.W, s.FN, s.FH, s.FW, s.stride, s.pad, OH, OW, colT);
      }
    },

    convWeightGrad(dW, x, dout, s, { images = [0, s.N] as Range, filters = [0, s.FN] as Range } = {}) {
      const { OH, OW, K, P, D } = filterSizes(s);
      assertShape('convWeightGrad x', x, s.N, D);
      assertShape('convWeightGrad dout', dout, s.N, s.FN * P);
      assertShape('convWeightGrad dW', dW, s.FN, K);
      checkRange('convWeightGrad images', images, s.N);
      checkRange('convWeightGrad filters', filters, s.FN);
      const FW8 = (s.FW + 7) & ~7;
      const img = scratchOf('img', s.C * (s.H + 2 * s.pad) * (s.W + 2 * s.pad + 8) * 4); // img: (C, H+2pad, W+2pad+8)
      const dwAcc = scratchOf('dwAcc', Math.max(filters[1] - filters[0], 1) * Math.max(s.C * s.FH, 5) * FW8 * 4); // dwAcc: (filters, C*FH, FW8)
      const list = scratchOf('plist', (P + 4) * 8); // list: (P + 4) entries
      w.convWeightGrad(ptr(dW), ptr(x), ptr(dout), images[0], images[1], filters[0], filters[1], s.C, s.H, s.W, s.FN, s.FH, s.FW, s.stride, s.pad, OH, OW, img, dwAcc, list);
    },

    convBiasGrad(db, dout, s, filters = [0, s.FN]) {
      const { P } = filterSizes(s);
      assertShape('convBiasGrad dout', dout, s.N, s.FN * P);
      assertShape('convBiasGrad db', db, 1, s.FN);
      checkRange('convBiasGrad filters', filters, s.FN);
      w.convBiasGrad(ptr(db), ptr(dout), s.N, filters[0], filters[1], s.FN, P);
    },

    convInputGrad(dx, dout, W, s, images = [0, s.N]) {
      const { OH, OW, K, P, D } = filterSizes(s);
      assertShape('convInputGrad dout', dout, s.N, s.FN * P);
      assertShape('convInputGrad W', W, s.FN, K);
      assertShape('convInputGrad dx', dx, s.N, D);
      checkRange('convInputGrad images', images, s.N);
      const dcol = scratchOf('dcol', P * K * 4); // dcol: (P, K)
      w.convInputGrad(ptr(dx), ptr(dout), ptr(W), images[0], images[1], s.C, s.H, s.W, s.FN, s.FH, s.FW, s.stride, s.pad, OH, OW, dcol);
    },

    maxPoolForward(out, argmax, x, s, images = [0, s.N]) {
      const { OH, OW } = convOutputSize(s);
      const Q = s.C * OH * OW;
      assertShape('maxPoolForward x', x, s.N, s.C * s.H * s.W);
      assertShape('maxPoolForward out', out, s.N, Q);
      if (argmax.length !== s.N * Q) throw new RangeError(`maxPoolForward argmax: expected ${s.N * Q} values, got ${argmax.length}`);
      checkRange('maxPoolForward images', images, s.N);
      w.maxPoolForward(ptr(out), ptr(argmax), ptr(x), images[0], images[1], s.C, s.H, s.W, s.FH, s.FW, s.stride, s.pad, OH, OW);
    },

    maxPoolBackward(dx, dout, argmax, s, images = [0, s.N]) {
      const { OH, OW } = convOutputSize(s);
      const Q = s.C * OH * OW, D = s.C * s.H * s.W;
      assertShape('maxPoolBackward dout', dout, s.N, Q);
      assertShape('maxPoolBackward dx', dx, s.N, D);
      if (argmax.length !== s.N * Q) throw new RangeError(`maxPoolBackward argmax: expected ${s.N * Q} values, got ${argmax.length}`);
      checkRange('maxPoolBackward images', images, s.N);
      w.maxPoolBackward(ptr(dx), ptr(dout), ptr(argmax), images[0], images[1], D, Q);
    },

    convReluPoolForward(pooled, argmax, x, W, b, s, images = [0, s.N]) {
      const { OH, OW, K, D, PQ } = pooledSizes(s);
      assertShape('convReluPoolForward x', x, s.N, D);
      assertShape('convReluPoolForward W', W, s.FN, K);
      assertShape('convReluPoolForward b', b, 1, s.FN);
      assertShape('convReluPoolForward pooled', pooled, s.N, s.FN * PQ);
      if (argmax !== null) checkArgmax('convReluPoolForward', argmax, s.N * s.FN * PQ);
      checkRange('convReluPoolForward images', images, s.N);
      const { wt, pix, band, B } = directScratch(s, OW);
      w.convReluPoolForward(ptr(pooled), argmax === null ? 0 : ptr(argmax), ptr(x), ptr(W), ptr(b), images[0], images[1], s.C, s.H, s.W, s.FN, s.FH, s.FW, s.pad, OH, OW, wt, pix, band, B);
    },

    convWeightGradPooled(dW, db, x, dpooled, pooled, argmax, s, { images = [0, s.N] as Range, filters = [0, s.FN] as Range } = {}) {
      const { OH, OW, K, D, PQ } = pooledSizes(s);
      if (s.pad !== 0 || s.C * s.FH > 5 || s.FW > 8) {
        throw new RangeError(`convWeightGradPooled: needs pad 0, C*FH <= 5 and FW <= 8, got pad ${s.pad}, C*FH ${s.C * s.FH}, FW ${s.FW}`);
      }
      assertShape('convWeightGradPooled x', x, s.N, D);
      assertShape('convWeightGradPooled dpooled', dpooled, s.N, s.FN * PQ);
      assertShape('convWeightGradPooled pooled', pooled, s.N, s.FN * PQ);
      assertShape('convWeightGradPooled dW', dW, s.FN, K);
      if (db !== null) assertShape('convWeightGradPooled db', db, 1, s.FN);
      checkArgmax('convWeightGradPooled', argmax, s.N * s.FN * PQ);
      checkRange('convWeightGradPooled images', images, s.N);
      checkRange('convWeightGradPooled filters', filters, s.FN);
      const acc = scratchOf('acc40', 40 * 4); // acc: (10, 4)
      const list = scratchOf('plist', (PQ + 4) * 8); // list: (OH/2*OW/2 + 4) entries
      w.convWeightGradPooled(ptr(dW), db === null ? 0 : ptr(db), ptr(x), ptr(dpooled), ptr(pooled), ptr(argmax), images[0], images[1], filters[0], filters[1], s.C, s.H, s.W, s.FN, s.FH, s.FW, OH, OW, acc, list);
    },

    adamUpdate(p, m, v, g, h, range = [0, p.rows * p.cols]) {
      for (const [name, a] of [['m', m], ['v', v], ['g', g]] as const) assertShape(`adamUpdate ${name}`, a, p.rows, p.cols);
      checkRange('adamUpdate range', range, p.rows * p.cols);
      w.adamUpdate(ptr(p), ptr(m), ptr(v), ptr(g), range[0], range[1], h.beta1, h.beta2, h.lrT, h.eps);
    },
  };
}
