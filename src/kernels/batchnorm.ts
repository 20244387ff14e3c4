import type { Matrix } from '../tensor/matrix.js';

/**
 * The book's BatchNormalization at inference (common/layers.py), one kernel for every backend:
 *   out = gamma * (x - runningMean) / sqrt(runningVar + eps) + beta, column by column.
 * Plain loops over the matrices' arrays: every backend keeps its matrices as typed arrays (the
 * WebAssembly ones as views of its memory), so the same loop serves all of them, worker
 * threads included, and gives each image the same numbers whatever the backend.
 */
export function batchnormForward(
  out: Matrix, // out: (N, D)
  x: Matrix, // x: (N, D)
  gamma: Matrix, // gamma: (1, D)
  beta: Matrix, // beta: (1, D)
  runningMean: Matrix, // runningMean: (1, D)
  runningVar: Matrix, // runningVar: (1, D)
  eps: number,
): void {
  const D = x.cols;
  const o = out.data, xs = x.data, g = gamma.data, b = beta.data, mu = runningMean.data, v = runningVar.data;
  for (let j = 0; j < D; j++) {
    const scale = g[j] / Math.sqrt(v[j] + eps);
    const m = mu[j], shift = b[j];
    for (let i = j; i < xs.length; i += D) o[i] = (xs[i] - m) * scale + shift;
  }
}
