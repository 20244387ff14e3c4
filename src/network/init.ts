import type { Kernels } from '../kernels/kernels.js';
import type { Matrix } from '../tensor/matrix.js';
import type { Rng } from '../tensor/rng.js';
import type { InitName } from './names.js';
import { randomMatrix } from './two-layer-net.js';

// How a weight matrix's starting values are scaled (book section 6.2); the names live in names.ts.
export { INIT_NAMES, type InitName } from './names.js';

/**
 * The standard deviation of the normal a layer's weights are drawn from, for a layer with
 * nIn inputs:
 * - std:    the fixed weightInitStd (the book's chapter 5 net uses 0.01);
 * - xavier: sqrt(1 / nIn), which keeps a sigmoid (or tanh) layer's output spread constant;
 * - he:     sqrt(2 / nIn), twice Xavier's variance because ReLU zeroes half its inputs.
 */
export function initStd(init: InitName, nIn: number, weightInitStd: number): number {
  switch (init) {
    case 'std':
      return weightInitStd;
    case 'xavier':
      return Math.sqrt(1 / nIn);
    case 'he':
      return Math.sqrt(2 / nIn);
  }
}

/** A (nIn, nOut) weight matrix drawn from N(0, initStd^2), in row-major order from rng. */
export function initWeights(kernels: Kernels, rng: Rng, nIn: number, nOut: number, init: InitName, weightInitStd: number): Matrix {
  return randomMatrix(kernels, rng, nIn, nOut, initStd(init, nIn, weightInitStd));
}
