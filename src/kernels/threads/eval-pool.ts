import { Worker } from 'node:worker_threads';
import type { Matrix } from '../../tensor/matrix.js';
import type { ForwardOp } from '../kernels.js';
import { describeSource, type EvalPool, type Heap, type ImageSourceDescriptor, type WasmImageSource } from '../wasm.js';

/**
 * Evaluation on worker threads. Each worker instantiates the same kernels over the same
 * shared memory, so parameters and pixel lists are read in place; a job names them by
 * address. The caller starts the jobs, does its own share, then blocks (Atomics.wait) until
 * every worker has written its count: evaluation stays a plain synchronous call.
 */

/** Where the build puts the worker; the same path from src/ and dist/. */
const WORKER_URL = new URL('../../../dist/kernels/threads/eval-worker.js', import.meta.url);
const ARENA_BYTES = 32 << 20; // each worker's scratch: its chunk's activations

export type OpDescriptor =
  | { kind: 'affine'; W: number; b: number; rows: number; cols: number }
  | { kind: 'relu' }
  | { kind: 'sigmoid' };

export interface EvalJob {
  ops: OpDescriptor[];
  source: ImageSourceDescriptor;
  start: number;
  end: number;
  slot: number; // this worker's [state, result] pair in the control block
}

export interface WorkerInit {
  memory: WebAssembly.Memory;
  arenaBase: number;
  arenaBytes: number;
  control: number; // byte offset of the control block
  workers: number;
  errorText: number; // byte offset of this worker's ERROR_BYTES for a failure message
}

export const ERROR_BYTES = 1024;

// Control block: per worker [state, result]; state RUNNING -> DONE or FAILED.
export const RUNNING = 0;
export const DONE = 1;
export const FAILED = 2;

const describeMatrix = (m: Matrix) => ({ ptr: m.data.byteOffset, rows: m.rows, cols: m.cols });

/** Starts `workers` threads and resolves once every one has its kernels ready. */
export async function createEvalPool(memory: WebAssembly.Memory, heap: Heap, workers: number): Promise<EvalPool> {
  const control = heap.int32(workers * 2); // control: (workers, 2), kept alive by the pool
  const errors: number[] = []; // each worker's failure message, NUL-terminated UTF-8
  const threads = await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      const arenaBase = heap.allocBytes(ARENA_BYTES);
      const errorText = heap.allocBytes(ERROR_BYTES);
      errors.push(errorText);
      const init: WorkerInit = { memory, arenaBase, arenaBytes: ARENA_BYTES, control: control.byteOffset, workers, errorText };
      const worker = new Worker(WORKER_URL, { workerData: init });
      return new Promise<Worker>((resolve, reject) => {
        worker.once('message', (m) => (m === 'ready' ? resolve(worker) : reject(new Error(String(m)))));
        worker.once('error', reject);
      }).then((ready) => {
        ready.unref(); // an idle pool never keeps the process alive
        ready.on('error', () => Atomics.store(control, 2 * w, FAILED));
        return ready;
      });
    }),
  );

  return {
    threads: workers,
    start(ops: readonly ForwardOp[], source: WasmImageSource, ranges: readonly [number, number][]) {
      if (ranges.length > threads.length) throw new RangeError(`${ranges.length} ranges for ${threads.length} workers`);
      const opList: OpDescriptor[] = ops.map((op) => {
        if (op.kind !== 'affine') return { kind: op.kind };
        const W = describeMatrix(op.W);
        return { kind: 'affine', W: W.ptr, b: op.b.data.byteOffset, rows: W.rows, cols: W.cols };
      });
      const sourceDesc = describeSource(source);
      ranges.forEach(([start, end], w) => {
        Atomics.store(control, 2 * w, RUNNING);
        const job: EvalJob = { ops: opList, source: sourceDesc, start, end, slot: w };
        threads[w].postMessage(job);
      });
      return () =>
        ranges.map((_, w) => {
          let state: number;
          while ((state = Atomics.load(control, 2 * w)) === RUNNING) Atomics.wait(control, 2 * w, RUNNING, 1000);
          if (state === FAILED) {
            const bytes = new Uint8Array(memory.buffer, errors[w], ERROR_BYTES).slice();
            const end = bytes.indexOf(0);
            throw new Error(`evaluation worker ${w + 1} failed: ${new TextDecoder().decode(bytes.subarray(0, end < 0 ? ERROR_BYTES : end))}`);
          }
          return control[2 * w + 1];
        });
    },
  };
}
