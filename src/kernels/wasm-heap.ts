/**
 * The module's memory and the allocator over it. The memory is shared (a SharedArrayBuffer),
 * which lets worker threads run the same kernels on the same matrices, and means growing it
 * never detaches a view.
 */

const PAGE = 65536;
const MAX_PAGES = 16384; // 1 GiB of address space, reserved, not used
const HEAP_BASE = PAGE; // below this: AssemblyScript's own (empty) static area
const PAD = 64; // after every block: a 16-float SIMD block may read past a row's end

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

/** A fresh shared memory and the heap over it, for a main thread's kernels. */
export function wasmMemory(): { memory: WebAssembly.Memory; heap: Heap } {
  const memory = new WebAssembly.Memory({ initial: 2, maximum: MAX_PAGES, shared: true });
  return { memory, heap: new Heap(memory, HEAP_BASE, MAX_PAGES * PAGE - HEAP_BASE, true) };
}
