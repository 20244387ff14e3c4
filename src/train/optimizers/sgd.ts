import type { Kernels } from '../../kernels/kernels.js';
import type { Params } from '../../network/network.js';
import type { Optimizer, OptimizerState } from './optimizer.js';
import { checkState } from './state.js';

/** Plain stochastic gradient descent: W <- W - lr * dW (the book's chapter 5 update). */
export class Sgd implements Optimizer {
  readonly name = 'sgd';

  constructor(
    private readonly kernels: Kernels,
    readonly lr: number,
  ) {}

  update(params: Params, grads: Params): void {
    for (const key in params) this.kernels.axpy(params[key], -this.lr, grads[key]);
  }

  getState(): OptimizerState {
    return { tensors: {}, scalars: {} }; // plain SGD keeps nothing between steps
  }

  setState(state: OptimizerState, params: Params): void {
    checkState(this.name, state, params, [], []);
  }
}
