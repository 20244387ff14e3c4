import { availableParallelism } from 'node:os';
import { RuntimeFailure, UsageError } from '../errors.js';
import { BACKENDS, type Backend } from './backends.js';
import type { DType } from '../tensor/matrix.js';
import { jsKernels } from './js.js';
import type { Kernels } from './kernels.js';
import { referenceKernels } from './reference.js';
import { createWorkerPool } from './threads/pool.js';
import { wasmAvailable, wasmKernels, wasmMemory } from './wasm.js';

export { BACKENDS, type Backend } from './backends.js';

export interface KernelOptions {
  dtype?: DType; // float32 by default
  backend?: Backend; // auto by default
  threads?: number; // evaluation threads, this one included; all cores by default
}

/** All the cores this process may use. */
export function defaultThreads(): number {
  return availableParallelism();
}

/** The backend for these options; starts its worker threads (which never keep the process alive). */
export async function createKernels(options: KernelOptions = {}): Promise<Kernels> {
  const dtype = options.dtype ?? 'float32';
  const backend = options.backend ?? 'auto';
  const threads = options.threads ?? defaultThreads();
  if (!(Number.isInteger(threads) && threads >= 1)) throw new UsageError(`--threads must be an integer >= 1, got ${threads}`);
  switch (backend) {
    case 'reference':
      return referenceKernels(dtype);
    case 'js':
      return jsKernels(dtype);
    case 'wasm':
    case 'auto': {
      if (dtype === 'float64') {
        if (backend === 'wasm') throw new UsageError('--backend wasm runs float32 only; use --backend js (or auto) for float64');
        return jsKernels(dtype);
      }
      if (!wasmAvailable()) {
        if (backend === 'wasm') {
          throw new RuntimeFailure('--backend wasm: the WebAssembly kernels are not built or this Node lacks SIMD; run npm run build');
        }
        return jsKernels(dtype);
      }
      const { memory, heap } = wasmMemory();
      const pool = threads > 1 ? await createWorkerPool(memory, heap, threads - 1) : undefined;
      return wasmKernels({ shared: { memory, heap }, pool });
    }
    default:
      throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}, got ${String(backend)}`);
  }
}
