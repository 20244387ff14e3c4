import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { Matrix } from '../../tensor/matrix.js';
import type { ForwardOp } from '../kernels.js';
import { describeSource, wasmModule, type Heap, type ImageSourceDescriptor, type WasmImageSource } from '../wasm.js';

/**
 * Worker threads that run the same WebAssembly kernels on the same shared memory: parameters,
 * batches and pixel lists are read in place, so a job is a few addresses. Jobs are posted
 * through a small control block with Atomics, and the caller blocks until they are done, so
 * every kernel call stays synchronous. Two kinds of work go to the workers:
 * - the high half of the pixels of a training step's first layer (forward, weight gradient,
 *   SGD update: see halfPixel in ../wasm.ts): a few microseconds of hand-off, so a waiting
 *   worker spins briefly before it sleeps;
 * - evaluating a set: every thread takes 500-image chunks from a shared counter until none
 *   are left (the description arrives by message).
 * Every output element is computed by one thread in the same order whatever the split, so the
 * numbers are the same with any --threads.
 *
 * A job is claimed before it runs (a compare-and-swap on CLAIMED, by the worker or by the
 * caller): a caller that finds its worker has not yet taken a step job runs it itself, so a
 * worker descheduled on a busy machine costs the job's own time, not a scheduler tick.
 */

/** The worker's bundle (scripts/bundle.mjs); the same path from src/ and from the bundle. */
const WORKER_URL = new URL('../../../dist/nn-train-worker.js', import.meta.url);
const ARENA_BYTES = 32 << 20; // each worker's scratch: its evaluation chunk's activations
export const ERROR_BYTES = 1024;

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
export const JOB_AXPY = 4; // axpy over the high half of a weight gradient's rows (alpha as f32 bits)
export const JOB_EVAL = 3; // chunks of a set to evaluate, taken from a shared counter, described by the message
export const JOB_TOUCH = 5; // touchPages over [ptr, ptr + bytes): pages of pixel lists about to be filled

/**
 * How long a waiting thread spins before it sleeps, in milliseconds: longer than the gap
 * between two jobs of a training step (waking a sleeping thread costs tens of microseconds,
 * as much as the job), short enough that an idle pool soon stops using its core.
 */
export const SPIN_MS = 0.5;

/**
 * Makes every 4 kB page of [ptr, ptr + bytes) of the memory present, in address order, by
 * adding 0 to one word of each, atomically: what another thread writes there meanwhile stays
 * as written. A page's first touch costs ~10 us on the test machine (a virtual machine), so a
 * worker touching the pages a list is about to fill takes that wait off the filling thread.
 * Every 16 pages it asks `stopped()` whether the pages are still wanted.
 */
export function touchPages(memory: WebAssembly.Memory, ptr: number, bytes: number, stopped: () => boolean = () => false): void {
  const words = new Int32Array(memory.buffer);
  const end = Math.min(ptr + bytes, words.byteLength);
  for (let p = (ptr + 4095) & ~4095, n = 0; p < end; p += 4096, n++) {
    if ((n & 15) === 0 && stopped()) return;
    Atomics.add(words, p >> 2, 0);
  }
}

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

export type OpDescriptor =
  | { kind: 'affine'; W: number; b: number; rows: number; cols: number }
  | { kind: 'relu' }
  | { kind: 'sigmoid' };

export interface EvalJob {
  seq: number; // the job it describes (an unclaimed job's message is skipped)
  ops: OpDescriptor[];
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

export interface WorkerPool {
  readonly workers: number;
  /**
   * Posts a job of `kind` to worker w with up to 11 arguments; `wait(w)` returns its result.
   * (Numbers, not an array: a training step allocates nothing.)
   */
  post(w: number, kind: number, a0?: number, a1?: number, a2?: number, a3?: number, a4?: number, a5?: number, a6?: number, a7?: number, a8?: number, a9?: number, a10?: number): void;
  /** Asks worker w to end its current job early, if it is one that can (JOB_TOUCH). */
  stop(w: number): void;
  /**
   * Starts `workers` evaluation jobs over the set's chunks, taken from the i32 counter at
   * byte offset `next` (set to 0 by the caller), and returns the wait for their counts.
   */
  startEval(ops: readonly ForwardOp[], source: WasmImageSource, next: number, chunk: number, workers: number): () => number[];
  /**
   * Takes worker w's job back if the worker has not started it: true means the caller is to
   * do it instead (and not wait for it).
   */
  takeBack(w: number): boolean;
  /** Worker w's result, once its job is done. */
  wait(w: number): number;
  /** Whether worker w has finished its job (never waits). */
  isDone(w: number): boolean;
}

/** Starts `workers` threads and resolves once every one has its kernels ready. */
export async function createWorkerPool(memory: WebAssembly.Memory, heap: Heap, workers: number): Promise<WorkerPool> {
  const controls: Int32Array[] = [];
  const errors: number[] = [];
  const ports: MessagePort[] = [];
  const seqs: number[] = [];
  const threads = await Promise.all(
    Array.from({ length: workers }, () => {
      const control = heap.int32(CONTROL_WORDS); // control: (32), kept alive by the pool
      const errorText = heap.allocBytes(ERROR_BYTES);
      const arenaBase = heap.allocBytes(ARENA_BYTES);
      const { port1, port2 } = new MessageChannel();
      controls.push(control);
      errors.push(errorText);
      ports.push(port1);
      seqs.push(0);
      const init: WorkerInit = { memory, module: wasmModule(), arenaBase, arenaBytes: ARENA_BYTES, control: control.byteOffset, errorText, port: port2 };
      const worker = new Worker(WORKER_URL, { workerData: init, transferList: [port2] });
      return new Promise<Worker>((resolve, reject) => {
        worker.once('message', (m) => (m === 'ready' ? resolve(worker) : reject(new Error(String(m)))));
        worker.once('error', reject);
      }).then((ready) => {
        ready.unref(); // a waiting pool never keeps the process alive
        return ready;
      });
    }),
  );
  void threads;

  const pool: WorkerPool = {
    workers,
    post(w, kind, a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0, a8 = 0, a9 = 0, a10 = 0) {
      const c = controls[w];
      c[KIND] = kind;
      c[ARGS] = a0;
      c[ARGS + 1] = a1;
      c[ARGS + 2] = a2;
      c[ARGS + 3] = a3;
      c[ARGS + 4] = a4;
      c[ARGS + 5] = a5;
      c[ARGS + 6] = a6;
      c[ARGS + 7] = a7;
      c[ARGS + 8] = a8;
      c[ARGS + 9] = a9;
      c[ARGS + 10] = a10;
      seqs[w]++;
      Atomics.store(c, SEQ, seqs[w]);
      Atomics.notify(c, SEQ);
    },
    stop(w) {
      Atomics.store(controls[w], STOP, seqs[w]);
    },
    takeBack(w) {
      const c = controls[w];
      const seq = seqs[w];
      if (Atomics.compareExchange(c, CLAIMED, seq - 1, seq) !== seq - 1) return false;
      Atomics.store(c, DONE, seq); // as the worker would have: the next wait counts from here
      return true;
    },
    wait(w) {
      const c = controls[w];
      const seq = seqs[w];
      waitWhile(c, DONE, seq - 1);
      if (c[STATUS] !== 0) {
        const bytes = new Uint8Array(memory.buffer, errors[w], ERROR_BYTES).slice();
        const end = bytes.indexOf(0);
        throw new Error(`worker thread ${w + 1} failed: ${new TextDecoder().decode(bytes.subarray(0, end < 0 ? ERROR_BYTES : end))}`);
      }
      return c[RESULT];
    },
    isDone(w) {
      return Atomics.load(controls[w], DONE) === seqs[w];
    },
    startEval(ops, source, next, chunk, count) {
      if (count > workers) throw new RangeError(`${count} evaluation jobs for ${workers} workers`);
      const opList: OpDescriptor[] = ops.map((op) => {
        if (op.kind !== 'affine') return { kind: op.kind };
        return { kind: 'affine', W: ptrOf(op.W), b: ptrOf(op.b), rows: op.W.rows, cols: op.W.cols };
      });
      const sourceDesc = describeSource(source);
      const used = Array.from({ length: count }, (_, w) => w);
      for (const w of used) {
        const job: EvalJob = { seq: seqs[w] + 1, ops: opList, source: sourceDesc, next, count: source.set.count, chunk };
        ports[w].postMessage(job); // delivered before the job is posted below
        pool.post(w, JOB_EVAL);
      }
      // Called once the caller's own share has run out of chunks: a job no worker has started
      // by then has nothing left to do, so it is taken back rather than waited for.
      return () => used.map((w) => (pool.takeBack(w) ? 0 : pool.wait(w)));
    },
  };
  return pool;
}

const ptrOf = (m: Matrix) => m.data.byteOffset;
