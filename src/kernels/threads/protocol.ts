import type { MessagePort } from 'node:worker_threads';
import type { OpRecord } from '../ops.js';
import type { ImageSourceDescriptor } from '../wasm-image-source.js';

/**
 * What the caller (./pool.ts) and a worker (./worker.ts) agree on: the slots of a worker's
 * control block, the kinds of job, the spin-then-sleep wait, and how threads share a set's
 * chunks when evaluating.
 *
 * A job is claimed before it runs (a compare-and-swap on CLAIMED, by the worker or by the
 * caller): a caller that finds its worker has not yet taken a job runs it itself.
 */

export const ERROR_BYTES = 1024; // a failed job's message, NUL-terminated

// A worker's control block, int32 slots.
export const SEQ = 0; // bumped by the caller to post a job
export const DONE = 1; // set to the job's SEQ by the worker when it is finished
export const KIND = 2;
export const STATUS = 3; // 0 ok, 1 failed (message in the error text)
export const RESULT = 4;
export const ARGS = 5; // up to 11 arguments
export const CLAIMED = 21; // the SEQ of the last job someone started
export const STOP = 22; // set to a job's SEQ by the caller to end it early (a page-touching job checks it)
export const CONTROL_WORDS = 32;

export const JOB_FORWARD = 1; // sparseMatmul: the high half of the pixels, into its own buffer
export const JOB_WEIGHT_GRAD = 2; // sparseWeightGrad over the high half of the pixels
export const JOB_EVAL = 3; // chunks of a set to evaluate, taken from a shared counter, described by the message
export const JOB_AXPY = 4; // axpy over the high half of a weight gradient's rows (alpha as f32 bits)
export const JOB_TOUCH = 5; // touchPages over [ptr, ptr + bytes): pages of pixel lists about to be filled
export const JOB_EXIT = 6; // the worker's loop ends and the thread exits
// The blocked dense products over a range of rows of their output (the Affine of a convnet),
// with the arguments of the sgemm exports of ./assembly/conv.ts; NT always with B^T given.
export const JOB_SGEMM_NN = 7;
export const JOB_SGEMM_TN = 8;
export const JOB_SGEMM_NT = 9;
// A kernel export with many arguments (the convnet's, Adam's): KERNEL_CALLS[a0] with the a2
// f64 arguments at byte offset a1.
export const JOB_CALL = 10;
export const KERNEL_CALLS = ['convForward', 'convForwardDirect', 'convWeightGrad', 'convInputGrad', 'maxPoolForward', 'maxPoolBackward', 'adamStepExact', 'convReluPoolForward', 'convWeightGradPooled'] as const;

/**
 * How long a waiting thread spins before it sleeps, in milliseconds: longer than the gap
 * between two jobs of a training step (waking a sleeping thread costs as much as the job),
 * short enough that an idle pool soon stops using its core.
 */
export const SPIN_MS = 0.5;

/** Waits until control[index] !== value: spinning for SPIN_MS, then sleeping. */
export function waitWhile(control: Int32Array, index: number, value: number): void {
  if (Atomics.load(control, index) !== value) return;
  const until = performance.now() + SPIN_MS;
  for (let n = 1; Atomics.load(control, index) === value; n++) {
    if ((n & 1023) === 0 && performance.now() > until) {
      while (Atomics.load(control, index) === value) Atomics.wait(control, index, value, 100);
      return;
    }
  }
}

/** An op as a worker receives it: its weight fields as { ptr, rows, cols } in the shared memory. */
export interface MatrixAddress {
  ptr: number;
  rows: number;
  cols: number;
}

export interface EvalJob {
  seq: number; // the job it describes (an unclaimed job's message is skipped)
  ops: OpRecord[]; // weight fields as MatrixAddress
  source: ImageSourceDescriptor;
  next: number; // byte offset of the i32 counter of chunks taken
  count: number; // images in the set
  chunk: number; // images per chunk
}

/**
 * Counts correct images chunk by chunk, taking chunk numbers from the shared counter until
 * none are left: threads share the set dynamically (no one idles while another has work),
 * and since each image's answer depends on nothing else, the total is the same.
 */
export function countChunks(next: Int32Array, count: number, chunk: number, countRange: (start: number, end: number) => number): number {
  let correct = 0;
  for (let c = Atomics.add(next, 0, 1); c * chunk < count; c = Atomics.add(next, 0, 1)) {
    correct += countRange(c * chunk, Math.min(count, (c + 1) * chunk));
  }
  return correct;
}

export interface WorkerInit {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module; // the caller's compiled kernels: one compilation (and one tier-up) for all threads
  arenaBase: number;
  arenaBytes: number;
  control: number; // byte offset of this worker's control block
  errorText: number; // byte offset of its ERROR_BYTES for a failure message
  port: MessagePort; // evaluation jobs
}
