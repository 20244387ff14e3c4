import { readFileSync } from 'node:fs';
import type { ImageSet } from '../data/dataset.js';
import { assertShape, type Matrix } from '../tensor/matrix.js';
import { checkForwardOps, checkImagesShape, checkSliceRange, countCorrectRange, EVAL_CHUNK, type EvalScratch } from './images.js';
import { jsKernels } from './js.js';
import type { ForwardOp, ImageSource, Kernels } from './kernels.js';
import { countChunks, JOB_AXPY, JOB_FORWARD, JOB_TOUCH, JOB_WEIGHT_GRAD, type WorkerPool } from './threads/pool.js';
import { checkGatherIndices, countNonzeros, ImageRows } from './sparse-images.js';

/**
 * The float32 WebAssembly SIMD backend: kernels compiled from ./assembly/index.ts by
 * AssemblyScript (`npm run build:wasm`), working in place on matrices that live in the
 * module's memory. `alloc` hands out Float32Array views of that memory, so a step copies
 * nothing in or out. The memory is shared (a SharedArrayBuffer), which lets worker threads
 * run the same kernels on the same matrices, and means growing it never detaches a view.
 */

/** Where the build puts the module; the same path from src/kernels and dist/kernels. */
export const WASM_URL = new URL('../../dist/kernels/nn-kernels.wasm', import.meta.url);
const PAGE = 65536;
const MAX_PAGES = 16384; // 1 GiB of address space, reserved, not used
const HEAP_BASE = PAGE; // below this: AssemblyScript's own (empty) static area
const PAD = 64; // after every block: a 16-float SIMD block may read past a row's end

export interface WasmExports {
  sparseMatmul(out: number, rows: number, r0: number, r1: number, cols: number, vals: number, W: number, H: number): void;
  sparseMatmulTransA(dW: number, D: number, r0: number, r1: number, rows: number, cols: number, vals: number, dout: number, H: number): void;
  sparseWeightGrad(dW: number, k0: number, k1: number, counts: number, records: number, rows: number, N: number, cols: number, vals: number, dout: number, H: number): void;
  matmul(out: number, a: number, b: number, r0: number, r1: number, D: number, H: number): void;
  matmulTransA(dW: number, x: number, dout: number, N: number, D: number, H: number): void;
  matmulTransB(dx: number, dout: number, W: number, N: number, H: number, D: number, wt: number): void;
  softmax(out: number, x: number, N: number, C: number): void;
  addRowVector(out: number, b: number, r0: number, r1: number, H: number): void;
  sumRows(db: number, dout: number, N: number, H: number): void;
  axpy(y: number, alpha: number, x: number, n: number): void;
  reluForward(out: number, x: number, n: number): void;
  reluBackward(dx: number, dout: number, x: number, n: number): void;
  countCorrectTwoLayer(n0: number, n1: number, starts: number, cols: number, vals: number, labels: number, W1: number, b1: number, H: number, W2: number, b2: number, C: number, h: number): number;
  buildPixelLists(images: number, count: number, D: number, starts: number, cols: number, vals: number, e: number): number;
  initScale(): void;
}

let compiled: WebAssembly.Module | null = null;

/** The compiled kernels module (compiled once per thread); throws if the build is missing. */
export function wasmModule(): WebAssembly.Module {
  if (compiled === null) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(WASM_URL);
    } catch {
      throw new Error(`the WebAssembly kernels are not built (${WASM_URL.pathname}): run npm run build`);
    }
    compiled = new WebAssembly.Module(new Uint8Array(bytes));
  }
  return compiled;
}

/** Whether this Node can run the module (WebAssembly SIMD, shared memory) and it is built. */
export function wasmAvailable(): boolean {
  try {
    wasmModule();
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * Hands out 16-byte-aligned blocks of the shared memory. Blocks come back when the typed
 * array over them is garbage collected (a layer reshaping its buffers drops the old ones),
 * and are reused for the next request of the same size.
 */
export class Heap {
  private top: number;
  private readonly free = new Map<number, number[]>();
  private readonly registry = new FinalizationRegistry<{ ptr: number; size: number }>(({ ptr, size }) => {
    let list = this.free.get(size);
    if (list === undefined) this.free.set(size, (list = []));
    list.push(ptr);
  });

  constructor(
    readonly memory: WebAssembly.Memory,
    private readonly base: number,
    private readonly limit: number, // bytes; the heap never goes past base + limit
    private readonly canGrow: boolean,
  ) {
    this.top = base;
  }

  /** Byte offset of a fresh, zero-filled block of `bytes` (and its padding). */
  allocBytes(bytes: number): number {
    const size = ((bytes + 15) & ~15) + PAD;
    const reused = this.free.get(size)?.pop();
    if (reused !== undefined) {
      new Uint8Array(this.memory.buffer, reused, size).fill(0);
      return reused;
    }
    const ptr = this.top;
    if (ptr + size > this.base + this.limit) {
      throw new RangeError(`out of WebAssembly memory: ${bytes} more bytes wanted, ${this.top - this.base} in use`);
    }
    const have = this.memory.buffer.byteLength;
    if (ptr + size > have) {
      if (!this.canGrow) throw new RangeError(`out of WebAssembly memory at ${ptr + size} bytes`);
      this.memory.grow(Math.ceil((ptr + size - have) / PAGE));
    }
    this.top = ptr + size;
    return ptr;
  }

  private readonly views = new WeakSet<object>();

  /** Cuts the last block allocBytes handed out from `bytes` down to `keep` bytes. */
  shrink(ptr: number, bytes: number, keep: number): void {
    if (ptr + ((bytes + 15) & ~15) + PAD !== this.top) throw new Error('Heap.shrink: not the last block');
    this.top = ptr + ((keep + 15) & ~15) + PAD;
  }

  /** Returns a block from allocBytes for reuse. */
  release(ptr: number, bytes: number): void {
    const size = ((bytes + 15) & ~15) + PAD;
    let list = this.free.get(size);
    if (list === undefined) this.free.set(size, (list = []));
    list.push(ptr);
  }

  /** Frees the block under `view` once `view` is unreachable. */
  track(view: object, ptr: number, bytes: number): void {
    this.registry.register(view, { ptr, size: ((bytes + 15) & ~15) + PAD });
    this.views.add(view);
  }

  /** Marks a view of the memory made elsewhere (a worker's view of a parameter) as usable. */
  adopt<T extends object>(view: T): T {
    this.views.add(view);
    return view;
  }

  /** Is this a view of our memory (so its byteOffset is a pointer the kernels can use)? */
  owns(view: object): boolean {
    return this.views.has(view);
  }

  float32(n: number): Float32Array {
    const ptr = this.allocBytes(n * 4);
    const view = new Float32Array(this.memory.buffer, ptr, n);
    this.track(view, ptr, n * 4);
    return view;
  }

  int32(n: number): Int32Array {
    const ptr = this.allocBytes(n * 4);
    const view = new Int32Array(this.memory.buffer, ptr, n);
    this.track(view, ptr, n * 4);
    return view;
  }
}

/**
 * A set's pixel lists and labels in the shared memory, where every thread can read them.
 * The values are the u8 pixels themselves (the kernels scale them by 1/255 through a table):
 * a quarter of the memory of float values. mids[n] is the entry of image n's first pixel in
 * the second half of the image (see halfPixel).
 */
export interface WasmImageSource extends ImageSource {
  readonly lists: { readonly starts: Int32Array; readonly mids: Int32Array; readonly cols: Uint16Array; readonly vals: Uint8Array };
  readonly labels: Uint8Array; // labels: (count), a copy in the shared memory
}

/** The source itself if it is ours already (a worker's sources are not in its cache). */
function wasmSource(s: ImageSource): WasmImageSource | null {
  return 'labels' in s && 'lists' in s ? (s as WasmImageSource) : null;
}

/**
 * The first layer works on two fixed halves of the pixels, [0, halfPixel) and [halfPixel, D),
 * whatever the thread count: with two threads each keeps its half of W1 (forward, weight
 * gradient and update) in its own core's cache, and only a (N, H) partial sum crosses; with
 * one thread the same halves run one after the other, so the numbers are the same.
 */
export const halfPixel = (D: number): number => D >> 1;

/** A batch of images by reference, plus the entry tables the kernels read. */
export class WasmImageRows extends ImageRows<WasmImageSource> {
  constructor(
    rows: number,
    cols: number,
    heap: Heap,
    readonly table = heap.int32(rows * 2), // table: (rows, 2), each row's [start, end) entries
    readonly low = heap.int32(rows * 2), // low: (rows, 2), [start, mid): pixels below halfPixel
    readonly high = heap.int32(rows * 2), // high: (rows, 2), [mid, end): the other half
  ) {
    super(rows, cols, (n) => heap.float32(n));
  }

  private bucketBlocks: { counts: Int32Array; records: number } | null = null;

  /** Buffers for sparseWeightGrad's buckets, made on first use and reused every step. */
  buckets(heap: Heap): { counts: Int32Array; records: number } {
    if (this.bucketBlocks === null) {
      this.bucketBlocks = {
        counts: heap.int32(this.cols), // counts: (D), entries per pixel
        records: heap.allocBytes(this.cols * this.rows * 4), // records: (D, rows) u32, (dout offset << 8) | pixel
      };
    }
    return this.bucketBlocks;
  }

  point(source: WasmImageSource): void {
    const { starts, mids } = source.lists;
    const { table, low, high } = this;
    for (let i = 0; i < this.rows; i++) {
      const img = this.indices[i];
      table[2 * i] = low[2 * i] = starts[img];
      low[2 * i + 1] = high[2 * i] = mids[img];
      table[2 * i + 1] = high[2 * i + 1] = starts[img + 1];
    }
    this.assign(source);
  }
}

/** What a worker thread needs to rebuild an image source from the shared memory. */
export interface ImageSourceDescriptor {
  count: number;
  rows: number;
  cols: number;
  nnz: number;
  starts: number;
  mids: number;
  colIdx: number;
  vals: number;
  labels: number;
}

export function describeSource(s: WasmImageSource): ImageSourceDescriptor {
  const { starts, mids, cols, vals } = s.lists;
  const set = s.set;
  return {
    count: set.count,
    rows: set.rows,
    cols: set.cols,
    nnz: cols.length,
    starts: starts.byteOffset,
    mids: mids.byteOffset,
    colIdx: cols.byteOffset,
    vals: vals.byteOffset,
    labels: s.labels.byteOffset,
  };
}

/** An image source over lists already in the memory (a worker's view of the main thread's). */
export function sourceFromDescriptor(memory: WebAssembly.Memory, d: ImageSourceDescriptor): WasmImageSource {
  const buf = memory.buffer;
  const labels = new Uint8Array(buf, d.labels, d.count);
  // The uint8 pixels stay on the main thread; only the lists (and labels) are shared.
  const set: ImageSet = { count: d.count, rows: d.rows, cols: d.cols, images: new Uint8Array(0), labels };
  return {
    set,
    labels,
    lists: {
      starts: new Int32Array(buf, d.starts, d.count + 1),
      mids: new Int32Array(buf, d.mids, d.count),
      cols: new Uint16Array(buf, d.colIdx, d.nnz),
      vals: new Uint8Array(buf, d.vals, d.nnz),
    },
  };
}

export interface WasmKernelsOptions {
  memory?: WebAssembly.Memory; // share another thread's memory (workers)
  heap?: Heap;
  pool?: WorkerPool; // worker threads sharing `memory`, for evaluation and the first layer's step
  module?: WebAssembly.Module; // compiled by another thread (a worker's), instead of compiling again
}

export interface WasmKernels extends Kernels {
  readonly memory: WebAssembly.Memory;
  readonly heap: Heap;
  readonly exports: WasmExports;
  /** Correct answers among images [start, end) of a source in this memory (one thread's share). */
  countCorrectRange(ops: readonly ForwardOp[], source: WasmImageSource, start: number, end: number): number;
}

/** A fresh shared memory and the heap over it, for a main thread's kernels. */
export function wasmMemory(): { memory: WebAssembly.Memory; heap: Heap } {
  const memory = new WebAssembly.Memory({ initial: 2, maximum: MAX_PAGES, shared: true });
  return { memory, heap: new Heap(memory, HEAP_BASE, MAX_PAGES * PAGE - HEAP_BASE, true) };
}

/** mids[n] = the first entry of image n at or past pixel `half` (its entries are in pixel order). */
function findMids(lists: WasmImageSource['lists'], half: number): void {
  const { starts, mids, cols } = lists;
  for (let n = 0; n < mids.length; n++) {
    let lo = starts[n], hi = starts[n + 1];
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (cols[m] < half) lo = m + 1;
      else hi = m;
    }
    mids[n] = lo;
  }
}

export function wasmKernels(options: WasmKernelsOptions = {}): WasmKernels {
  const fresh = options.memory === undefined ? wasmMemory() : null;
  const memory = options.memory ?? fresh!.memory;
  const heap = options.heap ?? fresh?.heap ?? new Heap(memory, HEAP_BASE, MAX_PAGES * PAGE - HEAP_BASE, true);
  const instance = new WebAssembly.Instance(options.module ?? wasmModule(), { env: { memory } });
  const w = instance.exports as unknown as WasmExports;
  w.initScale(); // the same table from every thread: writing it again changes nothing
  const js = jsKernels('float32'); // for matrices from elsewhere (tests, one-hot targets)
  const sources = new WeakMap<ImageSet, WasmImageSource>();
  const scratch: EvalScratch = new Map();
  const nextChunk = heap.int32(1); // the next chunk to evaluate, shared with the workers (one count at a time)
  const hidden = new Map<number, Float32Array>(); // countCorrectRange's scratch, by hidden width
  const pool = options.pool ?? null;
  const threads = 1 + (pool?.workers ?? 0);
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
  const transposes = new Map<number, number>(); // matmulTransB's scratch for W^T, by size
  /** Room for a (H, D) W^T with rows padded to 4 floats, plus the 28-float block a row's end may read. */
  const transposeOf = (H: number, D: number): number => {
    const floats = H * ((D + 3) & ~3) + 28;
    let p = transposes.get(floats);
    if (p === undefined) transposes.set(floats, (p = heap.allocBytes(floats * 4)));
    return p;
  };
  const splitGrads = new WeakSet<object>(); // weight gradients made by halves on two threads
  const f32Bits = new Float32Array(1), i32Bits = new Int32Array(f32Bits.buffer); // alpha for a worker

  const inWasm = (m: Matrix): boolean => heap.owns(m.data);
  /** Whether every weight of the ops is in this memory, where the workers can read it. */
  const opsInWasm = (ops: readonly ForwardOp[]): boolean => ops.every((op) => op.kind !== 'affine' || (inWasm(op.W) && inWasm(op.b)));
  const ptr = (m: Matrix): number => m.data.byteOffset;
  const sparse = (x: Matrix): x is WasmImageRows => x instanceof WasmImageRows && x.source !== null;

  const CHUNK = 1024; // images per pass through buildLists' buffer
  /** Fills pixel lists in the module, the images passing through `buffer` CHUNK at a time; returns the entry count. */
  function buildLists(set: ImageSet, buffer: number, starts: Int32Array, colsPtr: number, valsPtr: number): number {
    const D = set.rows * set.cols;
    let e = 0;
    for (let n = 0; n < set.count; n += CHUNK) {
      const m = Math.min(CHUNK, set.count - n);
      new Uint8Array(memory.buffer, buffer, m * D).set(set.images.subarray(n * D, (n + m) * D));
      e = w.buildPixelLists(buffer, m, D, starts.byteOffset + 4 * n, colsPtr, valsPtr, e);
    }
    starts[set.count] = e;
    return e;
  }

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
      if (!inWasm(out) || !inWasm(b)) return js.matmul(out, a, b);
      if (sparse(a)) {
        // out = (low pixels' sum) + (high pixels' sum): the high half goes to a second buffer,
        // on the worker when there is one, and is added in a fixed order.
        const { cols, vals } = a.source!.lists;
        const second = partialOf(N, H);
        const stepSplit = split(N);
        if (stepSplit) pool!.post(0, JOB_FORWARD, ptr(second), a.high.byteOffset, 0, N, cols.byteOffset, vals.byteOffset, ptr(b), H);
        w.sparseMatmul(ptr(out), a.low.byteOffset, 0, N, cols.byteOffset, vals.byteOffset, ptr(b), H);
        // The high half here, unless the worker has started it.
        if (!stepSplit || pool!.takeBack(0)) w.sparseMatmul(ptr(second), a.high.byteOffset, 0, N, cols.byteOffset, vals.byteOffset, ptr(b), H);
        else pool!.wait(0);
        w.axpy(ptr(out), 1, ptr(second), N * H); // out + 1 * second: exactly out + second
      } else if (inWasm(a)) {
        w.matmul(ptr(out), ptr(a), ptr(b), 0, N, D, H);
      } else {
        js.matmul(out, a, b);
      }
    },

    affineForward(out, x, W, b) {
      assertShape('bias', b, 1, W.cols);
      if (!inWasm(out) || !inWasm(b)) return js.affineForward(out, x, W, b);
      this.matmul(out, x, W);
      w.addRowVector(ptr(out), ptr(b), 0, out.rows, out.cols);
    },

    matmulTransA(dW, x, dout) {
      const N = x.rows, D = x.cols, H = dout.cols;
      assertShape('matmulTransA dout', dout, N, H);
      assertShape('matmulTransA dW', dW, D, H);
      if (!inWasm(dW) || !inWasm(dout)) return js.matmulTransA(dW, x, dout);
      if (sparse(x) && N * H * 4 < 1 << 24) {
        // By pixel, each half of the pixels on its own (the worker's, if any): the half's
        // entries bucketed by pixel, then each dW row summed in registers and stored once.
        const K = halfPixel(D);
        const { counts, records } = x.buckets(heap);
        const { cols, vals } = x.source!.lists;
        const stepSplit = split(N);
        if (stepSplit) pool!.post(0, JOB_WEIGHT_GRAD, ptr(dW), K, D, counts.byteOffset, records, x.high.byteOffset, N, cols.byteOffset, vals.byteOffset, ptr(dout), H);
        w.sparseWeightGrad(ptr(dW), 0, K, counts.byteOffset, records, x.low.byteOffset, N, cols.byteOffset, vals.byteOffset, ptr(dout), H);
        if (!stepSplit || pool!.takeBack(0)) w.sparseWeightGrad(ptr(dW), K, D, counts.byteOffset, records, x.high.byteOffset, N, cols.byteOffset, vals.byteOffset, ptr(dout), H);
        else pool!.wait(0);
        if (stepSplit) splitGrads.add(dW.data);
      } else if (sparse(x)) {
        const { cols, vals } = x.source!.lists;
        w.sparseMatmulTransA(ptr(dW), D, 0, N, x.table.byteOffset, cols.byteOffset, vals.byteOffset, ptr(dout), H);
      } else if (inWasm(x)) {
        w.matmulTransA(ptr(dW), ptr(x), ptr(dout), N, D, H);
      } else {
        js.matmulTransA(dW, x, dout);
      }
    },

    matmulTransB(dx, dout, W) {
      const N = dout.rows, H = dout.cols, D = W.rows;
      assertShape('matmulTransB W', W, D, H);
      assertShape('matmulTransB dx', dx, N, D);
      if (!inWasm(dx) || !inWasm(dout) || !inWasm(W)) return js.matmulTransB(dx, dout, W);
      w.matmulTransB(ptr(dx), ptr(dout), ptr(W), N, H, D, transposeOf(H, D));
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

    loadImages(set) {
      let source = sources.get(set);
      if (source === undefined) {
        const starts = heap.int32(set.count + 1); // starts: (count + 1)
        const mids = heap.int32(set.count); // mids: (count)
        const labelsPtr = heap.allocBytes(set.count);
        // Room for every pixel when that is affordable: address space only, since pages no
        // list entry reaches are never touched (and the cols block, allocated last, is cut
        // to size afterwards). This saves a counting pass over the pixels; sets too large for
        // it are counted first.
        const D = set.rows * set.cols;
        if (D > 65536) throw new RangeError(`images of ${D} pixels are too large for 16-bit column indices`);
        const buffer = heap.allocBytes(CHUNK * D); // buffer: (CHUNK, D) uint8, the images pass through it
        const pixels = set.count * D;
        const room = pixels <= 64 << 20 ? pixels : countNonzeros(set);
        const valsPtr = heap.allocBytes(room);
        const colsPtr = heap.allocBytes(room * 2);
        // The worker makes the cols block's pages present (MNIST's are 18 MB: ~4,400 first
        // touches) while this thread fills the lists, for up to a quarter of the pixels
        // (MNIST has a fifth nonzero): a third less time to wait for the lists. (Touching the
        // vals block's pages alongside was slower: 111-129 ms against 100-110.)
        const touching = pool !== null && !evaluating;
        if (touching) pool!.post(0, JOB_TOUCH, colsPtr, Math.min(room, Math.ceil(pixels / 4)) * 2);
        const e = buildLists(set, buffer, starts, colsPtr, valsPtr);
        if (touching) {
          // The lists are filled: pages the worker has not reached yet no longer need it, and
          // a touch it has not started is dropped (either way it only saves time).
          pool!.stop(0);
          if (!pool!.takeBack(0)) pool!.wait(0);
        }
        heap.shrink(colsPtr, room * 2, e * 2);
        heap.release(buffer, CHUNK * D);
        const buf = memory.buffer; // (read after allocating: allocation may grow the memory)
        const lists = { starts, mids, cols: new Uint16Array(buf, colsPtr, e), vals: new Uint8Array(buf, valsPtr, e) }; // cols, vals: (nnz)
        findMids(lists, halfPixel(D));
        const labels = new Uint8Array(buf, labelsPtr, set.count); // labels: (count)
        labels.set(set.labels);
        source = { set, lists, labels };
        sources.set(set, source); // kept while the set lives (the blocks are never freed)
      }
      return source;
    },

    allocImages(rows, cols) {
      return new WasmImageRows(rows, cols, heap);
    },

    gatherImages(x, images, indices) {
      if (!(x instanceof WasmImageRows)) return js.gatherImages(x, images, indices);
      checkImagesShape('gatherImages', x, images.set, x.rows);
      checkGatherIndices(images.set, x, indices);
      x.indices.set(indices);
      x.point(wasmSource(images) ?? (this.loadImages(images.set) as WasmImageSource));
    },

    sliceImages(x, images, start) {
      if (!(x instanceof WasmImageRows)) return js.sliceImages(x, images, start);
      checkImagesShape('sliceImages', x, images.set, x.rows);
      checkSliceRange(images.set, start, x.rows);
      for (let i = 0; i < x.rows; i++) x.indices[i] = start + i;
      x.point(wasmSource(images) ?? (this.loadImages(images.set) as WasmImageSource));
    },

    countCorrectRange(ops, source, start, end) {
      // The book's Affine -> Relu -> Affine net: each image start to finish in one wasm call.
      const [a1, relu, a2] = ops;
      if (ops.length === 3 && a1.kind === 'affine' && relu.kind === 'relu' && a2.kind === 'affine' && a2.W.cols <= 16 && inWasm(a1.W) && inWasm(a1.b) && inWasm(a2.W) && inWasm(a2.b)) {
        const H = a1.W.cols;
        let h = hidden.get(H);
        if (h === undefined) hidden.set(H, (h = heap.float32(H + 16))); // h: (H) activations, then (16) scores
        const { starts, cols, vals } = source.lists;
        return w.countCorrectTwoLayer(start, end, starts.byteOffset, cols.byteOffset, vals.byteOffset, source.labels.byteOffset, ptr(a1.W), ptr(a1.b), H, ptr(a2.W), ptr(a2.b), a2.W.cols, h.byteOffset);
      }
      return countCorrectRange(this, ops, source, start, end, scratch);
    },

    countCorrectImages(ops, images) {
      checkForwardOps(ops, images.set);
      const source = this.loadImages(images.set) as WasmImageSource;
      const count = images.set.count;
      const T = Math.min(threads, Math.max(1, Math.floor(count / 1000)));
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
      checkForwardOps(ops, images.set);
      if (pool === null || evaluating || !opsInWasm(ops)) return null;
      const source = this.loadImages(images.set) as WasmImageSource;
      // The workers take every chunk; the kernels split nothing until the count is taken.
      Atomics.store(nextChunk, 0, 0);
      pool.startEval(ops, source, nextChunk.byteOffset, EVAL_CHUNK, pool.workers);
      evaluating = true;
      const workers = Array.from({ length: pool.workers }, (_, w) => w);
      let count: number | null = null;
      return {
        ready: () => count !== null || workers.every((w) => pool.isDone(w)),
        take() {
          if (count === null) {
            try {
              count = workers.reduce((sum, w) => sum + pool.wait(w), 0);
            } finally {
              evaluating = false;
            }
          }
          return count;
        },
      };
    },
  };
  return kernels;
}
