import { parentPort, workerData } from 'node:worker_threads';
import type { Matrix } from '../../tensor/matrix.js';
import { countCorrectRange, type EvalScratch } from '../images.js';
import type { ForwardOp } from '../kernels.js';
import { Heap, sourceFromDescriptor, wasmKernels, type WasmImageSource } from '../wasm.js';
import { DONE, ERROR_BYTES, FAILED, type EvalJob, type WorkerInit } from './eval-pool.js';

// One evaluation thread: the same kernels over the main thread's memory, scratch buffers
// from its own arena, counting correct answers over the range each job names.

const init = workerData as WorkerInit;
const memory = init.memory;
const heap = new Heap(memory, init.arenaBase, init.arenaBytes, false);
const kernels = wasmKernels({ memory, heap });
const control = new Int32Array(memory.buffer, init.control, init.workers * 2);
// Sources by their layout: views over the shared memory, so a matching one is always current.
const sources = new Map<string, WasmImageSource>();
const scratch: EvalScratch = new Map();

const view = (ptr: number, rows: number, cols: number): Matrix => ({
  rows,
  cols,
  data: heap.adopt(new Float32Array(memory.buffer, ptr, rows * cols)),
});

parentPort!.on('message', (job: EvalJob) => {
  try {
    // The main thread may have grown the memory since the last job; growing by zero pages
    // makes this thread's instance see the new size.
    memory.grow(0);
    const key = JSON.stringify(job.source);
    let source = sources.get(key);
    if (source === undefined) sources.set(key, (source = sourceFromDescriptor(memory, job.source)));
    const ops: ForwardOp[] = job.ops.map((op) =>
      op.kind === 'affine' ? { kind: 'affine', W: view(op.W, op.rows, op.cols), b: view(op.b, 1, op.cols) } : op,
    );
    control[2 * job.slot + 1] = countCorrectRange(kernels, ops, source, job.start, job.end, scratch);
    Atomics.store(control, 2 * job.slot, DONE);
  } catch (err) {
    // The main thread is blocked waiting: leave the message where it can read it.
    const text = new TextEncoder().encode(err instanceof Error ? String(err.stack) : String(err)).subarray(0, ERROR_BYTES - 1);
    const out = new Uint8Array(memory.buffer, init.errorText, ERROR_BYTES);
    out.set(text);
    out[text.length] = 0;
    Atomics.store(control, 2 * job.slot, FAILED);
  }
  Atomics.notify(control, 2 * job.slot);
});
parentPort!.postMessage('ready');
