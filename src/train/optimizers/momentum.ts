import type { Kernels } from '../../kernels/kernels.js';
import type { Params } from '../../network/network.js';
import type { Optimizer, OptimizerState } from './optimizer.js';
import { checkState, restoreSlot, slotTensors } from './state.js';

/**
 * Momentum SGD (book section 6.1.4):
 *   v <- momentum * v - lr * dW
 *   W <- W + v
 * v starts at zero, one buffer per parameter, made on the first update.
 */
export class Momentum implements Optimizer {
  readonly name: string = 'momentum';
  protected v: Params | null = null;

  constructor(
    protected readonly kernels: Kernels,
    readonly lr: number,
    readonly momentum = 0.9,
  ) {}

  update(params: Params, grads: Params): void {
    const v = (this.v ??= zerosLike(this.kernels, params));
    for (const key in params) {
      this.kernels.scale(v[key], this.momentum);
      this.kernels.axpy(v[key], -this.lr, grads[key]);
      this.kernels.axpy(params[key], 1, v[key]);
    }
  }

  getState(): OptimizerState {
    return { tensors: slotTensors({ v: this.v }), scalars: {} };
  }

  setState(state: OptimizerState, params: Params): void {
    this.v = checkState(this.name, state, params, ['v'], []) ? restoreSlot(this.kernels, state, params, 'v') : null;
  }
}

/** A zero buffer of the same shape for every parameter (an optimizer's running state). */
export function zerosLike(kernels: Kernels, params: Params): Params {
  const out: Params = {};
  for (const [key, p] of Object.entries(params)) out[key] = kernels.alloc(p.rows, p.cols);
  return out;
}
