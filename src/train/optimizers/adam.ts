import type { Kernels } from '../../kernels/kernels.js';
import type { Params } from '../../network/network.js';
import { zerosLike } from './momentum.js';
import type { Optimizer, OptimizerState } from './optimizer.js';
import { checkState, restoreSlot, slotTensors } from './state.js';

/**
 * Adam (book section 6.1.6, common/optimizer.py), with the book's defaults lr 0.001,
 * beta1 0.9, beta2 0.999:
 *   m <- beta1 * m + (1 - beta1) * dW
 *   v <- beta2 * v + (1 - beta2) * dW^2
 *   lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)   (bias correction folded into the rate)
 *   W <- W - lr_t * m / (sqrt(v) + 1e-7)
 * The book writes the moment updates as m += (1 - beta1)(dW - m), the same in exact
 * arithmetic; we use the form that needs only scale and axpy kernels.
 */
export class Adam implements Optimizer {
  readonly name = 'adam';
  private m: Params | null = null;
  private v: Params | null = null;
  private iter = 0;

  constructor(
    private readonly kernels: Kernels,
    readonly lr = 0.001,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly eps = 1e-7,
  ) {}

  update(params: Params, grads: Params): void {
    const m = (this.m ??= zerosLike(this.kernels, params));
    const v = (this.v ??= zerosLike(this.kernels, params));
    this.iter++;
    const lrT = (this.lr * Math.sqrt(1 - this.beta2 ** this.iter)) / (1 - this.beta1 ** this.iter);
    const h = { beta1: this.beta1, beta2: this.beta2, lrT, eps: this.eps };
    for (const key in params) this.kernels.adamStep(params[key], m[key], v[key], grads[key], h);
  }

  getState(): OptimizerState {
    return { tensors: slotTensors({ m: this.m, v: this.v }), scalars: { t: this.iter } };
  }

  setState(state: OptimizerState, params: Params): void {
    const started = checkState(this.name, state, params, ['m', 'v'], ['t']);
    const t = state.scalars.t;
    if (!Number.isSafeInteger(t) || t < 0 || started !== t > 0) throw new RangeError(`adam state has step count t = ${t} ${started ? 'with' : 'without'} moments`);
    this.m = started ? restoreSlot(this.kernels, state, params, 'm') : null;
    this.v = started ? restoreSlot(this.kernels, state, params, 'v') : null;
    this.iter = t;
  }
}
