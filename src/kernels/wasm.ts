import type { ImageSet } from '../data/dataset.js';
import { assertShape, type Matrix } from '../tensor/matrix.js';
import { pixelValue } from '../tensor/pixel.js';
import { convWasm, type ConvWasm, type Range } from './conv-wasm.js';
import { checkForwardOps } from './forward.js';
import { denseOf, isImageBatch, setGatherIndices, setSliceIndices, type MatrixOrImages } from './image-batch.js';
import { countCorrectRange, EVAL_CHUNK, type EvalScratch } from './images.js';
import { jsKernels } from './js.js';
import type { ImageSource, Kernels } from './kernels.js';
import { opMatrices, type Op } from './ops.js';
import type { WorkerPool } from './threads/pool.js';
import { KERNEL_CALLS, countChunks, JOB_AXPY, JOB_CALL, JOB_FORWARD, JOB_SGEMM_NN, JOB_SGEMM_NT, JOB_SGEMM_TN, JOB_TOUCH, JOB_WEIGHT_GRAD } from './threads/protocol.js';
import { wasmMemory, type Heap } from './wasm-heap.js';
import { WasmImageBatch } from './wasm-image-batch.js';
import { asWasmSource, buildWasmSource, halfPixel, type PagesAhead, type WasmImageSource } from './wasm-image-source.js';
import { wasmModule, type WasmExports } from './wasm-module.js';

export { wasmAvailable } from './wasm-module.js';
export { wasmMemory } from './wasm-heap.js';

/**
 * The float32 WebAssembly SIMD backend: the kernels of ./wasm-module.ts working in place on
 * matrices that live in the module's shared memory (./wasm-heap.ts). `alloc` hands out
 * Float32Array views of that memory, so a step copies nothing in or out, and worker threads
 * (./threads/pool.ts) run the same kernels on the same matrices.
 */

export interface WasmKernelsOptions {
  shared?: { memory: WebAssembly.Memory; heap: Heap }; // another thread's memory (a worker's), with this thread's heap in it
  pool?: WorkerPool; // worker threads sharing the memory, for evaluation and the first layer's step
  module?: WebAssembly.Module; // compiled by another thread (a worker's), instead of compiling again
}

export interface WasmKernels extends Kernels {
  readonly memory: WebAssembly.Memory;
  readonly heap: Heap;
  readonly exports: WasmExports;
  /** A set's pixel lists in this memory (made once per set). */
  loadImages(set: ImageSet): WasmImageSource;
  /** Correct answers among images [start, end) of a source in this memory (one thread's share). */
  countCorrectRange(ops: readonly Op[], source: WasmImageSource, start: number, end: number): number;
}

export function wasmKernels(options: WasmKernelsOptions = {}): WasmKernels {
  const { memory, heap } = options.shared ?? wasmMemory();
  const instance = new WebAssembly.Instance(options.module ?? wasmModule(), { env: { memory } });
  const w = instance.exports as unknown as WasmExports;
  const js = jsKernels('float32'); // for matrices from elsewhere (tests, one-hot targets)
  const sources = new WeakMap<ImageSet, WasmImageSource>();
  const scratch: EvalScratch = new Map();
  const nextChunk = heap.int32(1); // the next chunk to evaluate, shared with the workers (one count at a time)
  const hidden = new Map<number, Float32Array>(); // countCorrectRange's scratch, by hidden width
  let pool = options.pool ?? null;
  // The first layer's step is split over the threads when this many image rows or more.
  const SPLIT_ROWS = 32;
  let evaluating = false; // the workers are busy with their own ranges: don't split
  const split = (N: number) => pool !== null && !evaluating && N >= SPLIT_ROWS;
  const partials = new Map<number, Matrix>(); // the first layer's high-half sums, by size
  const partialOf = (N: number, H: number): Matrix => {
    let m = partials.get(N * H);
    if (m === undefined) partials.set(N * H, (m = kernels.alloc(N, H))); // (N, H)
    return m;
  };
  // A dense product is split over the threads from this many multiply-adds (a small one costs
  // more to hand over than it saves).
  const SPLIT_MULADDS = 1 << 20;
  /**
   * Rows [0, M) of a blocked product: the first half on this thread, the second on the worker
   * (or here too, if the worker has not started it). A row's sums are the same whoever makes
   * them, so the numbers do not depend on the threads.
   */
  const byHalves = (M: number, muladds: number, kind: number, args: (r0: number, r1: number) => number[], run: (r0: number, r1: number) => void): void => {
    if (!split(M) || muladds < SPLIT_MULADDS) return run(0, M);
    const h = (M >> 1) & ~3;
    pool!.post(0, kind, ...args(h, M));
    run(0, h);
    if (pool!.takeBack(0)) run(h, M);
    else pool!.wait(0);
  };
  // The worker's share of a convnet kernel: a handle whose calls are posted to it, with their
  // arguments in `callArgs` and scratch buffers of its own.
  const callArgs = heap.allocBytes(32 * 8); // (32) f64 arguments
  /** Posts kernel export `name` with `args` to the worker. */
  const postCall = (name: string, args: number[]): void => {
    const index = (KERNEL_CALLS as readonly string[]).indexOf(name);
    if (index < 0 || args.length > 32) throw new Error(`kernel ${name} cannot run on a worker`);
    new Float64Array(memory.buffer, callArgs, args.length).set(args);
    pool!.post(0, JOB_CALL, index, callArgs, args.length);
  };
  const remoteConv = convWasm({ memory, heap, remote: postCall });
  /**
   * A convnet kernel over [0, n) (images or filters): the first half here, the second on the
   * worker (or here too, if it has not started it). Each image's or filter's numbers are made
   * the same way whoever makes them. `worth`: whether to split (by default, a batch of n
   * images is split when split(n) says so; a kernel over filters says from its batch).
   */
  const inHalves = (n: number, run: (k: ConvWasm, r: Range) => void, worth = split(n)): void => {
    if (!worth || n < 2) return run(conv, [0, n]);
    const h = n >> 1;
    run(remoteConv, [h, n]);
    run(conv, [0, h]);
    if (pool!.takeBack(0)) run(conv, [h, n]);
    else pool!.wait(0);
  };
  const transposes = new Map<number, Matrix>(); // matmulTransB's W^T for both threads, by shape
  const transposeOf = (W: Matrix): Matrix => {
    let t = transposes.get(W.rows * 65536 + W.cols);
    if (t === undefined) transposes.set(W.rows * 65536 + W.cols, (t = kernels.alloc(W.cols, W.rows))); // (H, D)
    conv.transpose(t, W);
    return t;
  };
  const splitGrads = new WeakSet<object>(); // weight gradients made by halves on two threads
  // The convnet kernels (and the blocked products), a second instance over the same memory.
  // Made here, before initScale: instantiating writes the module's data segments again, the
  // pixel scale table among them, which must not happen while another thread reads it.
  const conv: ConvWasm = convWasm({ memory, heap, module: options.module });
  w.initScale(); // the same table from every thread: writing it again changes nothing
  const argmaxes = new Map<number, Int32Array>(); // pooling's argmax at inference, by size
  /** An argmax of n values for a pooling at inference, which nobody reads. */
  const unreadArgmax = (n: number): Int32Array => {
    let where = argmaxes.get(n);
    if (where === undefined) argmaxes.set(n, (where = heap.int32(n))); // (N, C*OH*OW)
    return where;
  };
  const f32Bits = new Float32Array(1), i32Bits = new Int32Array(f32Bits.buffer); // alpha for a worker

  const inWasm = (m: Matrix): boolean => heap.owns(m.data);
  /** Whether every weight of the ops is in this memory, where the workers can read it. */
  const opsInWasm = (ops: readonly Op[]): boolean => ops.every((op) => opMatrices(op).every(inWasm));
  const ptr = (m: Matrix): number => m.data.byteOffset;
  /** A batch whose pixel lists are in this memory (the sparse kernels' input). */
  const sparse = (x: MatrixOrImages): x is WasmImageBatch & { source: WasmImageSource } => x instanceof WasmImageBatch && x.source !== null;
  const dense = (x: MatrixOrImages): Matrix => kernels.denseImages(x);
  /** The worker makes pages present while this thread fills a source's lists (unless it is busy evaluating). */
  const pagesAhead: PagesAhead = (p, bytes) => {
    if (pool === null || evaluating) return () => {};
    const worker = pool;
    worker.post(0, JOB_TOUCH, p, bytes);
    return () => {
      // The lists are filled: pages the worker has not reached yet no longer need it, and
      // a touch it has not started is dropped (either way it only saves time).
      worker.stop(0);
      if (!worker.takeBack(0)) worker.wait(0);
    };
  };

  const kernels: WasmKernels = {
    ...js,
    name: 'wasm-simd-float32',
    dtype: 'float32',
    memory,
    heap,
    exports: w,

    alloc(rows, cols) {
      return { rows, cols, data: heap.float32(rows * cols) };
    },

    matmul(out, a, b) {
      const N = a.rows, D = a.cols, H = b.cols;
      assertShape('matmul b', b, D, H);
      assertShape('matmul out', out, N, H);
      if (!inWasm(out) || !inWasm(b)) return js.matmul(out, dense(a), b);
      if (sparse(a)) {
        // out = (low pixels' sum) + (high pixels' sum): the high half goes to a second buffer,
        // on the worker when there is one, and is added in a fixed order.
        const { cols, vals } = a.source.lists;
        const second = partialOf(N, H);
        const stepSplit = split(N);
        if (stepSplit) pool!.post(0, JOB_FORWARD, ptr(second), a.high.byteOffset, 0, N, cols.byteOffset, vals.byteOffset, ptr(b), H);
        w.sparseMatmul(ptr(out), a.low.byteOffset, 0, N, cols.byteOffset, vals.byteOffset, ptr(b), H);
        // The high half here, unless the worker has started it.
        if (!stepSplit || pool!.takeBack(0)) w.sparseMatmul(ptr(second), a.high.byteOffset, 0, N, cols.byteOffset, vals.byteOffset, ptr(b), H);
        else pool!.wait(0);
        w.axpy(ptr(out), 1, ptr(second), N * H); // out + 1 * second: exactly out + second
      } else if (inWasm(dense(a))) {
        // The blocked product: the same sums in the same order as w.matmul (tested), faster.
        const A = dense(a);
        byHalves(N, N * D * H, JOB_SGEMM_NN, (r0, r1) => [ptr(out), ptr(A), ptr(b), r0, r1, D, H, 0], (r0, r1) => conv.sgemmNN(out, A, b, [r0, r1]));
      } else {
        js.matmul(out, dense(a), b);
      }
    },

    affineForward(out, x, W, b) {
      assertShape('bias', b, 1, W.cols);
      if (!inWasm(out) || !inWasm(b)) return js.affineForward(out, dense(x), W, b);
      this.matmul(out, x, W);
      w.addRowVector(ptr(out), ptr(b), 0, out.rows, out.cols);
    },

    matmulTransA(dW, x, dout) {
      const N = x.rows, D = x.cols, H = dout.cols;
      assertShape('matmulTransA dout', dout, N, H);
      assertShape('matmulTransA dW', dW, D, H);
      if (!inWasm(dW) || !inWasm(dout)) return js.matmulTransA(dW, dense(x), dout);
      if (sparse(x) && N * H * 4 < 1 << 24) {
        // By pixel, each half of the pixels on its own (the worker's, if any): the half's
        // entries bucketed by pixel, then each dW row summed in registers and stored once.
        const K = halfPixel(D);
        const { counts, records } = x.buckets();
        const { cols, vals } = x.source.lists;
        const stepSplit = split(N);
        if (stepSplit) pool!.post(0, JOB_WEIGHT_GRAD, ptr(dW), K, D, counts.byteOffset, records, x.high.byteOffset, N, cols.byteOffset, vals.byteOffset, ptr(dout), H);
        w.sparseWeightGrad(ptr(dW), 0, K, counts.byteOffset, records, x.low.byteOffset, N, cols.byteOffset, vals.byteOffset, ptr(dout), H);
        if (!stepSplit || pool!.takeBack(0)) w.sparseWeightGrad(ptr(dW), K, D, counts.byteOffset, records, x.high.byteOffset, N, cols.byteOffset, vals.byteOffset, ptr(dout), H);
        else pool!.wait(0);
        if (stepSplit) splitGrads.add(dW.data);
      } else if (inWasm(dense(x))) {
        // (A batch too large for the buckets' records takes the dense product.) The blocked
        // product: the same bits as w.matmulTransA (tested), faster.
        const X = dense(x);
        byHalves(D, N * D * H, JOB_SGEMM_TN, (r0, r1) => [ptr(dW), ptr(X), ptr(dout), r0, r1, N, D, H, 0], (r0, r1) => conv.sgemmTN(dW, X, dout, [r0, r1]));
      } else {
        js.matmulTransA(dW, dense(x), dout);
      }
    },

    matmulTransB(dx, dout, W) {
      const N = dout.rows, H = dout.cols, D = W.rows;
      assertShape('matmulTransB W', W, D, H);
      assertShape('matmulTransB dx', dx, N, D);
      if (!inWasm(dx) || !inWasm(dout) || !inWasm(W)) return js.matmulTransB(dx, dout, W);
      // The blocked product: the same bits as w.matmulTransB (tested), faster.
      if (!split(N) || N * D * H < SPLIT_MULADDS) return conv.sgemmNT(dx, dout, W);
      const Wt = transposeOf(W); // (H, D), read by both threads
      byHalves(N, N * D * H, JOB_SGEMM_NT, (r0, r1) => [ptr(dx), ptr(dout), ptr(W), r0, r1, H, D, ptr(Wt)], (r0, r1) => conv.sgemmNT(dx, dout, W, [r0, r1], Wt));
    },

    allocInt32(n) {
      return heap.int32(n);
    },

    // The convnet kernels run on this thread, over the whole batch; each takes a range of
    // images (or filters), so the worker threads can take a share of it with the same numbers.
    convForward(out, x, W, b, shape) {
      const xd = dense(x);
      if (![out, xd, W, b].every(inWasm)) return js.convForward(out, xd, W, b, shape);
      // The first layer's input is mostly zero pixels: the sparse kernel skips them exactly.
      const s = { N: x.rows, ...shape }, sparse = isImageBatch(x);
      inHalves(x.rows, (k, images) => k.convForward(out, xd, W, b, s, { images, sparse }));
    },

    convBackward(dx, dW, db, dout, x, W, shape) {
      const xd = dense(x);
      if (![dW, db, dout, xd, W].every(inWasm) || (dx !== null && !inWasm(dx))) return js.convBackward(dx, dW, db, dout, xd, W, shape);
      const s = { N: x.rows, ...shape };
      inHalves(shape.FN, (k, filters) => k.convWeightGrad(dW, xd, dout, s, { filters }), split(x.rows));
      conv.convBiasGrad(db, dout, s);
      if (dx !== null) inHalves(x.rows, (k, images) => k.convInputGrad(dx, dout, W, s, images));
    },

    poolForward(out, argmax, x, shape) {
      if (!inWasm(out) || !inWasm(x) || (argmax !== null && !heap.owns(argmax))) return js.poolForward(out, argmax, x, shape);
      const where = argmax ?? unreadArgmax(out.rows * out.cols);
      const s = { N: x.rows, ...shape };
      inHalves(x.rows, (k, images) => k.maxPoolForward(out, where, x, s, images));
    },

    convReluPoolForward(pooled, argmax, x, W, b, conv, pool) {
      const xd = dense(x);
      if (![pooled, xd, W, b].every(inWasm) || (argmax !== null && !heap.owns(argmax))) return js.convReluPoolForward.call(this, pooled, argmax, xd, W, b, conv, pool);
      const s = { N: x.rows, ...conv };
      inHalves(x.rows, (k, images) => k.convReluPoolForward(pooled, argmax, xd, W, b, s, images));
    },

    convReluPoolBackward(dW, db, dpooled, pooled, argmax, x, W, conv, pool) {
      const xd = dense(x);
      // The fused gradient holds a window's rows in registers: the book's first layer's sizes.
      const fits = conv.pad === 0 && conv.C * conv.FH <= 5 && conv.FW <= 8;
      if (!fits || ![dW, db, dpooled, pooled, xd].every(inWasm) || !heap.owns(argmax)) return js.convReluPoolBackward.call(this, dW, db, dpooled, pooled, argmax, xd, W, conv, pool);
      const s = { N: x.rows, ...conv };
      inHalves(conv.FN, (k, filters) => k.convWeightGradPooled(dW, db, xd, dpooled, pooled, argmax, s, { filters }), split(x.rows));
    },

    poolBackward(dx, dout, argmax, shape) {
      if (!inWasm(dx) || !inWasm(dout) || !heap.owns(argmax)) return js.poolBackward(dx, dout, argmax, shape);
      const s = { N: dx.rows, ...shape };
      inHalves(dx.rows, (k, images) => k.maxPoolBackward(dx, dout, argmax, s, images));
    },

    softmax(out, x) {
      assertShape('softmax out', out, x.rows, x.cols);
      if (!inWasm(out) || !inWasm(x)) return js.softmax(out, x);
      w.softmax(ptr(out), ptr(x), x.rows, x.cols);
    },

    sumRows(db, dout) {
      assertShape('sumRows db', db, 1, dout.cols);
      if (!inWasm(db) || !inWasm(dout)) return js.sumRows(db, dout);
      w.sumRows(ptr(db), ptr(dout), dout.rows, dout.cols);
    },

    reluForward(out, x) {
      assertShape('reluForward out', out, x.rows, x.cols);
      if (!inWasm(out) || !inWasm(x)) return js.reluForward(out, x);
      w.reluForward(ptr(out), ptr(x), x.rows * x.cols);
    },

    reluBackward(dx, dout, x) {
      assertShape('reluBackward dout', dout, x.rows, x.cols);
      assertShape('reluBackward dx', dx, x.rows, x.cols);
      if (!inWasm(dx) || !inWasm(dout) || !inWasm(x)) return js.reluBackward(dx, dout, x);
      w.reluBackward(ptr(dx), ptr(dout), ptr(x), x.rows * x.cols);
    },

    axpy(y, alpha, x) {
      assertShape('axpy x', x, y.rows, y.cols);
      if (!inWasm(y) || !inWasm(x)) return js.axpy(y, alpha, x);
      if (!splitGrads.has(x.data) || !split(SPLIT_ROWS)) return w.axpy(ptr(y), alpha, ptr(x), y.rows * y.cols);
      // A weight gradient the threads made by pixel halves (the SGD step, W1 -= lr * dW1):
      // each half of the rows is updated by the thread that made it, where it is cached.
      const H = y.cols, low = halfPixel(y.rows) * H, n = y.rows * H;
      f32Bits[0] = alpha;
      pool!.post(0, JOB_AXPY, ptr(y) + 4 * low, i32Bits[0], ptr(x) + 4 * low, n - low);
      w.axpy(ptr(y), alpha, ptr(x), low);
      if (pool!.takeBack(0)) w.axpy(ptr(y) + 4 * low, alpha, ptr(x) + 4 * low, n - low);
      else pool!.wait(0);
    },

    adamStep(p, m, v, g, h) {
      if (![p, m, v, g].every(inWasm)) return js.adamStep.call(this, p, m, v, g, h);
      assertShape('adamStep m', m, p.rows, p.cols);
      assertShape('adamStep v', v, p.rows, p.cols);
      assertShape('adamStep g', g, p.rows, p.cols);
      // One pass with the five kernels' numbers (tested); elementwise, so a large parameter is
      // split over the worker.
      const n = p.rows * p.cols;
      const args = (i0: number, i1: number) => [ptr(p), ptr(m), ptr(v), ptr(g), i0, i1, h.beta1, 1 - h.beta1, h.beta2, 1 - h.beta2, h.lrT, h.eps] as const;
      if (!split(SPLIT_ROWS) || n < 1 << 16) return w.adamStepExact(...args(0, n));
      const half = (n >> 1) & ~3;
      postCall('adamStepExact', [...args(half, n)]);
      w.adamStepExact(...args(0, half));
      if (pool!.takeBack(0)) w.adamStepExact(...args(half, n));
      else pool!.wait(0);
    },

    loadImages(set) {
      let source = sources.get(set);
      if (source === undefined) sources.set(set, (source = buildWasmSource(set, heap, w, pagesAhead))); // kept while the set lives
      return source;
    },

    allocImages(rows, cols) {
      return new WasmImageBatch(rows, cols, heap);
    },

    // A batch of this backend's is pointed at the lists in this memory; any other at the source given.
    gatherImages(x, images, indices) {
      setGatherIndices(x, images.set, indices);
      x.point(x instanceof WasmImageBatch ? (asWasmSource(images) ?? this.loadImages(images.set)) : images);
    },

    sliceImages(x, images, start) {
      setSliceIndices(x, images.set, start);
      x.point(x instanceof WasmImageBatch ? (asWasmSource(images) ?? this.loadImages(images.set)) : images);
    },

    denseImages(x) {
      if (!isImageBatch(x)) return x;
      if (!sparse(x)) return denseOf(x, (rows, cols) => this.alloc(rows, cols));
      // From the pixel lists, which every thread has (a worker has no uint8 pixels): the same values.
      const { starts, cols, vals } = x.source.lists;
      return denseOf(x, (rows, n) => this.alloc(rows, n), (out, offset, image) => {
        out.fill(0, offset, offset + x.cols);
        for (let e = starts[image]; e < starts[image + 1]; e++) out[offset + cols[e]] = pixelValue(vals[e]);
      });
    },

    countCorrectRange(ops, source, start, end) {
      // The book's Affine -> Relu -> Affine net: each image start to finish in one wasm call.
      const [a1, relu, a2] = ops;
      if (ops.length === 3 && a1.kind === 'affine' && relu.kind === 'relu' && a2.kind === 'affine' && a2.W.cols <= 16 && opsInWasm(ops)) {
        const H = a1.W.cols;
        let h = hidden.get(H);
        if (h === undefined) hidden.set(H, (h = heap.float32(H + 16))); // h: (H) activations, then (16) scores
        const { starts, cols, vals } = source.lists;
        return w.countCorrectTwoLayer(start, end, starts.byteOffset, cols.byteOffset, vals.byteOffset, source.labels.byteOffset, ptr(a1.W), ptr(a1.b), H, ptr(a2.W), ptr(a2.b), a2.W.cols, h.byteOffset);
      }
      return countCorrectRange(this, ops, source, start, end, scratch);
    },

    countCorrectImages(ops, images) {
      checkForwardOps(ops, images.set.rows * images.set.cols);
      const source = this.loadImages(images.set);
      const count = images.set.count;
      const T = Math.min(1 + (pool?.workers ?? 0), Math.max(1, Math.floor(count / 1000)));
      // (While a count left running has the workers, this thread counts alone.)
      if (T === 1 || pool === null || evaluating || !opsInWasm(ops)) return this.countCorrectRange(ops, source, 0, count);
      // Every thread takes chunks from a shared counter until none are left.
      Atomics.store(nextChunk, 0, 0);
      const wait = pool.startEval(ops, source, nextChunk.byteOffset, EVAL_CHUNK, T - 1);
      evaluating = true;
      try {
        const mine = countChunks(nextChunk, count, EVAL_CHUNK, (start, end) => this.countCorrectRange(ops, source, start, end));
        return wait().reduce((s, c) => s + c, mine);
      } finally {
        evaluating = false;
      }
    },

    startCountCorrectImages(ops, images) {
      checkForwardOps(ops, images.set.rows * images.set.cols);
      if (pool === null || evaluating || !opsInWasm(ops)) return null;
      const source = this.loadImages(images.set);
      const running = pool;
      // The workers take every chunk; the kernels split nothing until the count is taken.
      Atomics.store(nextChunk, 0, 0);
      running.startEval(ops, source, nextChunk.byteOffset, EVAL_CHUNK, running.workers);
      evaluating = true;
      const workers = Array.from({ length: running.workers }, (_, w) => w);
      let count: number | null = null;
      return {
        ready: () => count !== null || workers.every((w) => running.isDone(w)),
        take() {
          if (count === null) {
            try {
              count = workers.reduce((sum, w) => sum + running.wait(w), 0);
            } finally {
              evaluating = false;
            }
          }
          return count;
        },
      };
    },

    async close() {
      const closing = pool;
      pool = null; // from here on, everything runs on this thread
      await closing?.close();
    },
  };
  return kernels;
}
