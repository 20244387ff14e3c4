import type { Kernels } from '../../kernels/kernels.js';
import type { Params } from '../../network/network.js';
import { zerosLike } from './momentum.js';
import type { Optimizer, OptimizerState } from './optimizer.js';
import { checkState, restoreSlot, slotTensors } from './state.js';

/**
 * AdaGrad (book section 6.1.5): each weight's step shrinks with the sum of its squared
 * gradients so far.
 *   h <- h + dW * dW
 *   W <- W - lr * dW / (sqrt(h) + 1e-7)
 * The 1e-7 keeps the first step finite where h is still zero, as in the book.
 */
export class AdaGrad implements Optimizer {
  readonly name = 'adagrad';
  private h: Params | null = null;

  constructor(
    private readonly kernels: Kernels,
    readonly lr: number,
    readonly eps = 1e-7,
  ) {}

  update(params: Params, grads: Params): void {
    const h = (this.h ??= zerosLike(this.kernels, params));
    for (const key in params) {
      this.kernels.addSquare(h[key], 1, grads[key]);
      this.kernels.adaptiveStep(params[key], this.lr, grads[key], h[key], this.eps);
    }
  }

  getState(): OptimizerState {
    return { tensors: slotTensors({ h: this.h }), scalars: {} };
  }

  setState(state: OptimizerState, params: Params): void {
    this.h = checkState(this.name, state, params, ['h'], []) ? restoreSlot(this.kernels, state, params, 'h') : null;
  }
}
