/**
 * The kernel backends by name (kept apart from their code, so the command line can list
 * them without loading any):
 * - auto: the fastest correct one (wasm for float32, js for float64);
 * - wasm: WebAssembly SIMD, float32 only, evaluation spread over threads;
 * - js: plain JavaScript, the reference's numbers bit for bit, skipping zero pixels;
 * - reference: the readable loops the others are tested against.
 */
export const BACKENDS = ['auto', 'wasm', 'js', 'reference'] as const;
export type Backend = (typeof BACKENDS)[number];
