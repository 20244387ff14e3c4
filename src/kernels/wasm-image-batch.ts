import { ImageBatch } from './image-batch.js';
import type { WasmImageSource } from './wasm-image-source.js';
import type { Heap } from './wasm-heap.js';

/** A batch of images by reference, plus the entry tables the WebAssembly kernels read. */
export class WasmImageBatch extends ImageBatch<WasmImageSource> {
  readonly low: Int32Array; // low: (rows, 2), each row's entries [start, mid): pixels below halfPixel
  readonly high: Int32Array; // high: (rows, 2), [mid, end): the other half
  private bucketBlocks: { counts: Int32Array; records: number } | null = null;

  constructor(
    rows: number,
    cols: number,
    private readonly heap: Heap,
  ) {
    super(rows, cols);
    this.low = heap.int32(rows * 2);
    this.high = heap.int32(rows * 2);
  }

  /** Buffers for sparseWeightGrad's buckets, made on first use and reused every step. */
  buckets(): { counts: Int32Array; records: number } {
    if (this.bucketBlocks === null) {
      this.bucketBlocks = {
        counts: this.heap.int32(this.cols), // counts: (D), entries per pixel
        records: this.heap.allocBytes(this.cols * this.rows * 4), // records: (D, rows) u32, (dout offset << 8) | pixel
      };
    }
    return this.bucketBlocks;
  }

  override point(source: WasmImageSource): void {
    const { starts, mids } = source.lists;
    const { low, high } = this;
    for (let i = 0; i < this.rows; i++) {
      const img = this.indices[i];
      low[2 * i] = starts[img];
      low[2 * i + 1] = high[2 * i] = mids[img];
      high[2 * i + 1] = starts[img + 1];
    }
    super.point(source);
  }
}
