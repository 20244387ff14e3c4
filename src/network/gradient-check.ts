import type { Matrix, Target } from '../tensor/matrix.js';
import type { Rng } from '../tensor/rng.js';
import type { Network } from './network.js';
import { centralDifference } from './numerical-gradient.js';

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

/** A sampled check's result for one tensor: also how many of its entries were compared. */
export interface SampledParamCheck extends ParamCheck {
  samples: number; // entries compared
  size: number; // entries in the tensor
  kinks: number; // entries drawn but skipped: a ReLU or max-pool switch lay within the step
}

/**
 * The gradient check for nets too large to differentiate every entry numerically (a convnet's
 * 4320 x 100 affine alone needs 864,000 forward passes): per parameter tensor, `samples`
 * entries drawn at random (all of them if the tensor is smaller), each compared with its
 * central difference. The loss is taken in training mode with each Dropout's mask held at the
 * one backprop used, so both sides differentiate the same function.
 *
 * Why kinks are skipped: with the book's small initial weights a convolution's outputs are a
 * few hundredths, and nudging a weight moves dozens of them across ReLU's zero or swaps a
 * pooling window's max, where the loss has no derivative. Such an entry's central difference
 * changes with the step; a wrong backprop differs from a difference that does not. So each
 * entry is differenced with steps h and h/2, and one whose two differences disagree is
 * redrawn (and counted); the comparison uses the h/2 difference.
 */
export function sampledGradientCheck(net: Network, x: Matrix, t: Target, samples: number, rng: Rng, tolerance = 1e-6, h = 1e-5): SampledParamCheck[] {
  const holders = net.forwardLayers.filter((l) => l.op.kind === 'dropout') as unknown as { holdMask: boolean }[];
  const backprop = net.gradient(x, t); // draws the dropout masks, in training mode
  const grads = Object.fromEntries(Object.entries(backprop).map(([k, m]) => [k, m.data.slice()]));
  holders.forEach((d) => (d.holdMask = true));
  try {
    const f = () => net.loss(x, t, true);
    return Object.entries(net.params).map(([param, p]) => {
      const central = (i: number, step: number): number => centralDifference(f, p, i, step);
      const n = p.data.length;
      const want = Math.min(samples, n);
      const order = shuffled(rng, n);
      let sum = 0, max = 0, compared = 0, kinks = 0;
      for (const i of order) {
        if (compared === want) break;
        const coarse = central(i, h);
        const fine = central(i, h / 2);
        if (Math.abs(coarse - fine) > tolerance / 2) {
          kinks++;
          continue;
        }
        const d = Math.abs(fine - grads[param][i]);
        sum += d;
        compared++;
        if (d > max || Number.isNaN(d)) max = d;
      }
      const ok = max <= tolerance && compared === want;
      return { param, meanAbsDiff: compared > 0 ? sum / compared : NaN, maxAbsDiff: compared > 0 ? max : NaN, ok, samples: compared, size: n, kinks };
    });
  } finally {
    holders.forEach((d) => (d.holdMask = false));
  }
}

/** 0 .. n-1 in a random order (Fisher-Yates), drawn lazily enough for n in the millions. */
function shuffled(rng: Rng, n: number): Iterable<number> {
  const swapped = new Map<number, number>();
  return {
    *[Symbol.iterator]() {
      for (let k = 0; k < n; k++) {
        const j = k + Math.floor(rng.uniform() * (n - k));
        const at = swapped.get(j) ?? j;
        swapped.set(j, swapped.get(k) ?? k);
        yield at;
      }
    },
  };
}
