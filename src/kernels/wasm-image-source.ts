import type { ImageSet } from '../data/dataset.js';
import type { ImageSource } from './kernels.js';
import { countNonzeros } from './sparse-images.js';
import type { Heap } from './wasm-heap.js';
import type { WasmExports } from './wasm-module.js';

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

/** The source itself if it is in the shared memory already (a worker's sources are not in a cache). */
export function asWasmSource(s: ImageSource): WasmImageSource | null {
  return 'labels' in s && 'lists' in s ? (s as WasmImageSource) : null;
}

/**
 * The first layer works on two fixed halves of the pixels, [0, halfPixel) and [halfPixel, D),
 * whatever the thread count: with two threads each keeps its half of W1 (forward, weight
 * gradient and update) in its own core's cache, and only a (N, H) partial sum crosses; with
 * one thread the same halves run one after the other, so the numbers are the same.
 */
export const halfPixel = (D: number): number => D >> 1;

/**
 * Makes the pages of a block present ahead of the thread that fills it (another thread's
 * work); returns the call that says the block is filled (and waits for that thread).
 */
export type PagesAhead = (ptr: number, bytes: number) => () => void;

const CHUNK = 1024; // images per pass through the build's buffer

/** Builds a set's pixel lists in the module's memory (the blocks are never freed: the caller keeps the source). */
export function buildWasmSource(set: ImageSet, heap: Heap, w: WasmExports, pagesAhead: PagesAhead | null): WasmImageSource {
  const memory = heap.memory;
  const starts = heap.int32(set.count + 1); // starts: (count + 1)
  const mids = heap.int32(set.count); // mids: (count)
  const labelsPtr = heap.allocBytes(set.count);
  // Room for every pixel when that is affordable: address space only, since pages no list
  // entry reaches are never touched (and the cols block, allocated last, is cut to size
  // afterwards). This saves a counting pass over the pixels; sets too large for it are
  // counted first.
  const D = set.rows * set.cols;
  if (D > 65536) throw new RangeError(`images of ${D} pixels are too large for 16-bit column indices`);
  const buffer = heap.allocBytes(CHUNK * D); // buffer: (CHUNK, D) uint8, the images pass through it
  const pixels = set.count * D;
  const room = pixels <= 64 << 20 ? pixels : countNonzeros(set);
  const valsPtr = heap.allocBytes(room);
  const colsPtr = heap.allocBytes(room * 2);
  // Another thread makes the cols block's pages present while this one fills the lists, for
  // up to a quarter of the pixels (MNIST has a fifth nonzero): less time to wait for the lists.
  const filled = pagesAhead?.(colsPtr, Math.min(room, Math.ceil(pixels / 4)) * 2);
  let e = 0;
  for (let n = 0; n < set.count; n += CHUNK) {
    const m = Math.min(CHUNK, set.count - n);
    new Uint8Array(memory.buffer, buffer, m * D).set(set.images.subarray(n * D, (n + m) * D));
    e = w.buildPixelLists(buffer, m, D, starts.byteOffset + 4 * n, colsPtr, valsPtr, e);
  }
  starts[set.count] = e;
  filled?.();
  heap.shrink(colsPtr, room * 2, e * 2);
  heap.release(buffer, CHUNK * D);
  const buf = memory.buffer; // (read after allocating: allocation may grow the memory)
  const lists = { starts, mids, cols: new Uint16Array(buf, colsPtr, e), vals: new Uint8Array(buf, valsPtr, e) }; // cols, vals: (nnz)
  findMids(lists, halfPixel(D));
  const labels = new Uint8Array(buf, labelsPtr, set.count); // labels: (count)
  labels.set(set.labels);
  return { set, lists, labels };
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
