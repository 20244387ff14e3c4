import type { Matrix, Target } from '../tensor/matrix.js';
import type { Network } from './network.js';

export interface ParamCheck {
  param: string;
  meanAbsDiff: number;
  maxAbsDiff: number;
  ok: boolean;
}

/**
 * The book's gradient check (section 5.7.3, gradient_check.py): backprop against central
 * differences on the same batch, per parameter. Run it on a float64 network: in float32 the
 * numerical gradient's round-off alone is larger than the tolerance.
 */
export function gradientCheck(net: Network, x: Matrix, t: Target, tolerance = 1e-6): ParamCheck[] {
  const numerical = net.numericalGradient(x, t);
  const backprop = net.gradient(x, t);
  return Object.keys(net.params).map((param) => {
    const a = numerical[param].data;
    const b = backprop[param].data;
    let sum = 0;
    let max = 0;
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs(a[i] - b[i]);
      sum += d;
      if (d > max || Number.isNaN(d)) max = d;
    }
    const meanAbsDiff = sum / a.length;
    return { param, meanAbsDiff, maxAbsDiff: max, ok: max <= tolerance };
  });
}
