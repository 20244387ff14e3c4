import { readFileSync } from 'node:fs';

/**
 * The float32 WebAssembly SIMD kernels compiled from ./assembly/index.ts by AssemblyScript
 * (`npm run build:wasm`): where the build puts them, what they export, and compiling them.
 */

/** Where the build puts the module; the same path from src/kernels and dist/kernels. */
export const WASM_URL = new URL('../../dist/kernels/nn-kernels.wasm', import.meta.url);

export interface WasmExports {
  sparseMatmul(out: number, rows: number, r0: number, r1: number, cols: number, vals: number, W: number, H: number): void;
  sparseWeightGrad(dW: number, k0: number, k1: number, counts: number, records: number, rows: number, N: number, cols: number, vals: number, dout: number, H: number): void;
  matmul(out: number, a: number, b: number, r0: number, r1: number, D: number, H: number): void;
  matmulTransA(dW: number, x: number, dout: number, N: number, D: number, H: number): void;
  matmulTransB(dx: number, dout: number, W: number, N: number, H: number, D: number, wt: number): void;
  adamStepExact(p: number, m: number, v: number, g: number, i0: number, i1: number, beta1: number, c1: number, beta2: number, c2: number, lrT: number, eps: number): void;
  softmax(out: number, x: number, N: number, C: number): void;
  addRowVector(out: number, b: number, r0: number, r1: number, H: number): void;
  sumRows(db: number, dout: number, N: number, H: number): void;
  axpy(y: number, alpha: number, x: number, n: number): void;
  reluForward(out: number, x: number, n: number): void;
  reluBackward(dx: number, dout: number, x: number, n: number): void;
  countCorrectTwoLayer(n0: number, n1: number, starts: number, cols: number, vals: number, labels: number, W1: number, b1: number, H: number, W2: number, b2: number, C: number, h: number): number;
  buildPixelLists(images: number, count: number, D: number, starts: number, cols: number, vals: number, e: number): number;
  initScale(): void;
  // The blocked products of ./assembly/conv.ts over rows [r0, r1) of C (see ./conv-wasm.ts).
  sgemmNN(C: number, A: number, B: number, r0: number, r1: number, K: number, N: number, accumulate: boolean): void;
  sgemmTN(C: number, A: number, B: number, r0: number, r1: number, M: number, K: number, N: number, accumulate: boolean): void;
  sgemmNT(C: number, A: number, B: number, r0: number, r1: number, K: number, N: number, Bt: number, transposed: boolean): void;
}

let compiled: WebAssembly.Module | null = null;

/** The compiled kernels module (compiled once per thread); throws if the build is missing. */
export function wasmModule(): WebAssembly.Module {
  if (compiled === null) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(WASM_URL);
    } catch {
      throw new Error(`the WebAssembly kernels are not built (${WASM_URL.pathname}): run npm run build`);
    }
    compiled = new WebAssembly.Module(new Uint8Array(bytes));
  }
  return compiled;
}

/** Whether this Node can run the module (WebAssembly SIMD, shared memory) and it is built. */
export function wasmAvailable(): boolean {
  try {
    wasmModule();
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}
