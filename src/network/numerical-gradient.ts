import type { Kernels } from '../kernels/kernels.js';
import type { Matrix } from '../tensor/matrix.js';

/**
 * Central-difference gradient of f with respect to every entry of `param`
 * (book section 4.3): (f(x + h) - f(x - h)) / 2h with h = 1e-4.
 *
 * f must read `param` each time it is called: we nudge one entry in place, call f, and put
 * the entry back exactly, so the parameter is unchanged afterwards.
 */
export function numericalGradient(kernels: Kernels, f: () => number, param: Matrix, h = 1e-4): Matrix {
  const grad = kernels.alloc(param.rows, param.cols); // grad: same shape as param
  for (let i = 0; i < param.data.length; i++) grad.data[i] = centralDifference(f, param, i, h);
  return grad;
}

/** (f(x + h) - f(x - h)) / 2h for entry i of `param`, which is put back exactly afterwards. */
export function centralDifference(f: () => number, param: Matrix, i: number, h: number): number {
  const saved = param.data[i];
  param.data[i] = saved + h;
  const fxh1 = f();
  param.data[i] = saved - h;
  const fxh2 = f();
  param.data[i] = saved;
  return (fxh1 - fxh2) / (2 * h);
}
