import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { Matrix } from '../../tensor/matrix.js';
import { mapOpMatrices, type Op } from '../ops.js';
import { wasmKernels } from '../wasm.js';
import { Heap } from '../wasm-heap.js';
import { sourceFromDescriptor, type WasmImageSource } from '../wasm-image-source.js';
import { ARGS, CLAIMED, KERNEL_CALLS, JOB_CALL, CONTROL_WORDS, countChunks, DONE, ERROR_BYTES, JOB_AXPY, JOB_EVAL, JOB_EXIT, JOB_FORWARD, JOB_SGEMM_NN, JOB_SGEMM_NT, JOB_SGEMM_TN, JOB_TOUCH, JOB_WEIGHT_GRAD, KIND, RESULT, SEQ, STATUS, STOP, waitWhile, type EvalJob, type MatrixAddress, type WorkerInit } from './protocol.js';
import { touchPages } from './touch-pages.js';

// One worker thread of the pool (./pool.ts): waits on its control block, runs each job with
// the same kernels over the main thread's memory, and marks it done.

const init = workerData as WorkerInit;
const memory = init.memory;
const heap = new Heap(memory, init.arenaBase, init.arenaBytes, false);
const kernels = wasmKernels({ shared: { memory, heap }, module: init.module });
const w = kernels.exports;
const control = new Int32Array(memory.buffer, init.control, CONTROL_WORDS);
// Sources by their layout: views over the shared memory, so a matching one is always current.
const sources = new Map<string, WasmImageSource>();
const f32Bits = new Float32Array(1), i32Bits = new Int32Array(f32Bits.buffer);

const view = ({ ptr, rows, cols }: MatrixAddress): Matrix => ({
  rows,
  cols,
  data: heap.adopt(new Float32Array(memory.buffer, ptr, rows * cols)),
});

function evaluate(job: EvalJob): number {
  const key = JSON.stringify(job.source);
  let source = sources.get(key);
  if (source === undefined) sources.set(key, (source = sourceFromDescriptor(memory, job.source)));
  const ops = job.ops.map((op) => mapOpMatrices(op, view) as Op);
  const next = new Int32Array(memory.buffer, job.next, 1);
  return countChunks(next, job.count, job.chunk, (start, end) => kernels.countCorrectRange(ops, source!, start, end));
}

function run(kind: number, seq: number): number {
  const a = (i: number) => control[ARGS + i];
  if (kind === JOB_FORWARD) {
    w.sparseMatmul(a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7));
    return 0;
  }
  if (kind === JOB_WEIGHT_GRAD) {
    w.sparseWeightGrad(a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7), a(8), a(9), a(10));
    return 0;
  }
  if (kind === JOB_SGEMM_NN) {
    w.sgemmNN(a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7) !== 0);
    return 0;
  }
  if (kind === JOB_SGEMM_TN) {
    w.sgemmTN(a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7), a(8) !== 0);
    return 0;
  }
  if (kind === JOB_SGEMM_NT) {
    w.sgemmNT(a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7), true);
    return 0;
  }
  if (kind === JOB_CALL) {
    const call = (w as unknown as Record<string, (...args: number[]) => void>)[KERNEL_CALLS[a(0)]];
    call(...new Float64Array(memory.buffer, a(1), a(2)));
    return 0;
  }
  if (kind === JOB_TOUCH) {
    touchPages(memory, a(0), a(1), () => Atomics.load(control, STOP) === seq);
    return 0;
  }
  if (kind === JOB_AXPY) {
    i32Bits[0] = a(1);
    w.axpy(a(0), f32Bits[0], a(2), a(3));
    return 0;
  }
  if (kind === JOB_EVAL) {
    // Messages of evaluation jobs the caller took back are still queued: skip them.
    for (;;) {
      const message = receiveMessageOnPort(init.port);
      if (message === undefined) throw new Error('evaluation job without its description');
      const job = message.message as EvalJob;
      if (job.seq === seq) return evaluate(job);
    }
  }
  throw new Error(`unknown job kind ${kind}`);
}

parentPort!.postMessage('ready');
let seen = 0;
for (;;) {
  waitWhile(control, SEQ, seen);
  seen = Atomics.load(control, SEQ);
  // The caller may have taken the job back (and even posted the next): start only one we claim.
  if (Atomics.compareExchange(control, CLAIMED, seen - 1, seen) !== seen - 1) continue;
  if (control[KIND] === JOB_EXIT) break;
  // The main thread may have grown the memory since the last job; growing by zero pages
  // makes this thread's instance see the new size.
  memory.grow(0);
  try {
    control[RESULT] = run(control[KIND], seen);
    control[STATUS] = 0;
  } catch (err) {
    // The main thread is blocked waiting: leave the message where it can read it.
    const text = new TextEncoder().encode(err instanceof Error ? String(err.stack) : String(err)).subarray(0, ERROR_BYTES - 1);
    const out = new Uint8Array(memory.buffer, init.errorText, ERROR_BYTES);
    out.set(text);
    out[text.length] = 0;
    control[STATUS] = 1;
  }
  Atomics.store(control, DONE, seen);
  Atomics.notify(control, DONE);
}
init.port.close(); // the caller closed the pool: nothing keeps this thread
