import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { Matrix } from '../../tensor/matrix.js';
import { mapOpMatrices, type Op } from '../ops.js';
import type { Heap } from '../wasm-heap.js';
import { describeSource, type WasmImageSource } from '../wasm-image-source.js';
import { wasmModule } from '../wasm-module.js';
import { ARGS, CLAIMED, CONTROL_WORDS, DONE, ERROR_BYTES, JOB_EVAL, JOB_EXIT, KIND, RESULT, SEQ, STATUS, STOP, waitWhile, type EvalJob, type MatrixAddress, type WorkerInit } from './protocol.js';

/**
 * Worker threads that run the same WebAssembly kernels on the same shared memory: parameters,
 * batches and pixel lists are read in place, so a job is a few addresses. Jobs are posted
 * through a small control block with Atomics (./protocol.ts), and the caller blocks until
 * they are done, so every kernel call stays synchronous. Two kinds of work go to the workers:
 * - the high half of the pixels of a training step's first layer (forward, weight gradient,
 *   SGD update: see halfPixel in ../wasm-image-source.ts): a few microseconds of hand-off, so
 *   a waiting worker spins briefly before it sleeps;
 * - evaluating a set: every thread takes chunks from a shared counter until none are left
 *   (the description arrives by message).
 * Every output element is computed by one thread in the same order whatever the split, so the
 * numbers are the same with any --threads.
 */

/** The worker's bundle (scripts/bundle.mjs); the same path from src/ and from the bundle. */
const WORKER_URL = new URL('../../../dist/nn-train-worker.js', import.meta.url);
const ARENA_BYTES = 32 << 20; // each worker's scratch: its evaluation chunk's activations

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
  startEval(ops: readonly Op[], source: WasmImageSource, next: number, chunk: number, workers: number): () => number[];
  /**
   * Takes worker w's job back if the worker has not started it: true means the caller is to
   * do it instead (and not wait for it).
   */
  takeBack(w: number): boolean;
  /** Worker w's result, once its job is done. */
  wait(w: number): number;
  /** Whether worker w has finished its job (never waits). */
  isDone(w: number): boolean;
  /** Ends the threads (after their current jobs); resolves once they are gone. */
  close(): Promise<void>;
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
      const opList = ops.map((op) => mapOpMatrices(op, (m: Matrix): MatrixAddress => ({ ptr: m.data.byteOffset, rows: m.rows, cols: m.cols })));
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
    async close() {
      for (let w = 0; w < workers; w++) pool.post(w, JOB_EXIT);
      await Promise.all(threads.map((t) => t.terminate()));
    },
  };
  return pool;
}
