import type { Params } from '../../network/network.js';
import { Momentum, zerosLike } from './momentum.js';

/**
 * Nesterov's accelerated gradient (book common/optimizer.py), in the form that needs the
 * gradient at the current weights only (no look-ahead forward pass):
 *   v <- momentum * v - lr * dW
 *   W <- W + momentum^2 * v - (1 + momentum) * lr * dW
 * Its state is Momentum's: v, zero at first, one buffer per parameter (saved as `v`).
 */
export class Nesterov extends Momentum {
  override readonly name = 'nesterov';

  override update(params: Params, grads: Params): void {
    const v = (this.v ??= zerosLike(this.kernels, params));
    const mu = this.momentum;
    for (const key in params) {
      this.kernels.scale(v[key], mu);
      this.kernels.axpy(v[key], -this.lr, grads[key]);
      this.kernels.axpy(params[key], mu * mu, v[key]);
      this.kernels.axpy(params[key], -(1 + mu) * this.lr, grads[key]);
    }
  }
}
