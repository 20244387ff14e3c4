import type { Kernels } from '../../kernels/kernels.js';
import type { Params } from '../../network/network.js';
import { zerosLike } from './momentum.js';
import type { Optimizer, OptimizerState } from './optimizer.js';
import { checkState, restoreSlot, slotTensors } from './state.js';

/**
 * RMSprop (book section 6.1.5's note, common/optimizer.py): AdaGrad whose sum of squared
 * gradients forgets, so the steps do not shrink to nothing.
 *   h <- decay_rate * h + (1 - decay_rate) * dW * dW
 *   W <- W - lr * dW / (sqrt(h) + 1e-7)
 * With the book's decay_rate 0.99; h (a named buffer per parameter) starts at zero.
 */
export class RmsProp implements Optimizer {
  readonly name = 'rmsprop';
  private h: Params | null = null;

  constructor(
    private readonly kernels: Kernels,
    readonly lr: number,
    readonly decayRate = 0.99,
    readonly eps = 1e-7,
  ) {}

  update(params: Params, grads: Params): void {
    const h = (this.h ??= zerosLike(this.kernels, params));
    for (const key in params) {
      this.kernels.scale(h[key], this.decayRate);
      this.kernels.addSquare(h[key], 1 - this.decayRate, grads[key]);
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
