import type { Params } from '../../network/network.js';
import type { Matrix } from '../../tensor/matrix.js';

/** Updates parameters in place from their gradients (book chapter 6.1). */
export interface Optimizer {
  readonly name: string;
  update(params: Params, grads: Params): void;
  /**
   * What the next updates depend on besides the parameters, for a checkpoint: the optimizer's
   * own buffers (live, not copies) and counters. Empty before the first update.
   */
  getState(): OptimizerState;
  /**
   * Continues from a state getState() returned (for the same `params`): its values are copied
   * into this optimizer's buffers. Throws a RangeError naming what does not fit.
   */
  setState(state: OptimizerState, params: Params): void;
}

/**
 * An optimizer's running state: one buffer per parameter and slot, named `slot.param`
 * ("v.W1" for momentum's velocity, "m.W1" and "v.W1" for Adam's moments, "h.W1" for
 * AdaGrad's sums of squares), and counters by name ("t", Adam's step count).
 */
export interface OptimizerState {
  tensors: Record<string, Matrix>;
  scalars: Record<string, number>;
}
