import type { Kernels } from '../../kernels/kernels.js';
import type { Params } from '../../network/network.js';
import { zerosLike } from './momentum.js';
import type { Optimizer, OptimizerState } from './optimizer.js';
import { checkState, restoreSlot, slotTensors } from './state.js';

/**
 * Nesterov's accelerated gradient (book common/optimizer.py), in the form that needs the
 * gradient at the current weights only (no look-ahead forward pass):
 *   v <- momentum * v - lr * dW
 *   W <- W + momentum^2 * v - (1 + momentum) * lr * dW
 * v starts at zero, one buffer per parameter (named `v`, as Momentum's), made on the first update.
 */
export class Nesterov implements Optimizer {
  readonly name = 'nesterov';
  private v: Params | null = null;

  constructor(
    private readonly kernels: Kernels,
    readonly lr: number,
    readonly momentum = 0.9,
  ) {}

  update(params: Params, grads: Params): void {
    const v = (this.v ??= zerosLike(this.kernels, params));
    const mu = this.momentum;
    for (const key in params) {
      this.kernels.scale(v[key], mu);
      this.kernels.axpy(v[key], -this.lr, grads[key]);
      this.kernels.axpy(params[key], mu * mu, v[key]);
      this.kernels.axpy(params[key], -(1 + mu) * this.lr, grads[key]);
    }
  }

  getState(): OptimizerState {
    return { tensors: slotTensors({ v: this.v }), scalars: {} };
  }

  setState(state: OptimizerState, params: Params): void {
    this.v = checkState(this.name, state, params, ['v'], []) ? restoreSlot(this.kernels, state, params, 'v') : null;
  }
}
