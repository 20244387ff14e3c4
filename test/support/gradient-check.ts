import { referenceKernels } from '../../src/kernels/reference.js';
import type { Layer } from '../../src/layers/layer.js';
import { numericalGradient } from '../../src/network/numerical-gradient.js';
import type { Matrix } from '../../src/tensor/matrix.js';
import { Rng } from '../../src/tensor/rng.js';

export const kernels64 = referenceKernels('float64');

export function randomMatrix(rng: Rng, rows: number, cols: number, scale = 1): Matrix {
  const m = kernels64.alloc(rows, cols);
  for (let i = 0; i < m.data.length; i++) m.data[i] = scale * rng.normal();
  return m;
}

/**
 * Checks a layer's backward against central differences of its forward, in float64.
 * The scalar being differentiated is L = Σ forward(x) ⊙ G for a fixed random G, so
 * dL/dout = G: we feed G to backward and compare what comes out (dx, and each parameter's
 * gradient) with the numerical gradient of L. Returns the largest absolute difference.
 */
export function maxGradientError(layer: Layer, x: Matrix, seed = 1, train = false): number {
  const rng = new Rng(seed);
  const out = layer.forward(x, train);
  const G = randomMatrix(rng, out.rows, out.cols);
  const L = () => {
    const y = layer.forward(x, train);
    let s = 0;
    for (let i = 0; i < y.data.length; i++) s += y.data[i] * G.data[i];
    return s;
  };
  layer.forward(x, train);
  const dx = copy(layer.backward(G));
  const grads = Object.fromEntries(Object.entries(layer.grads ?? {}).map(([k, v]) => [k, copy(v)]));

  let worst = maxAbsDiff(numericalGradient(kernels64, L, x), dx);
  for (const [name, param] of Object.entries(layer.params ?? {})) {
    worst = Math.max(worst, maxAbsDiff(numericalGradient(kernels64, L, param), grads[name]));
  }
  return worst;
}

export function maxAbsDiff(a: Matrix, b: Matrix): number {
  if (a.rows !== b.rows || a.cols !== b.cols) throw new Error(`shape mismatch (${a.rows},${a.cols}) vs (${b.rows},${b.cols})`);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
}

function copy(m: Matrix): Matrix {
  return { rows: m.rows, cols: m.cols, data: m.data.slice() };
}
