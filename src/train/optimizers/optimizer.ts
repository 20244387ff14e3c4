import type { Params } from '../../network/network.js';

/** Updates parameters in place from their gradients (book chapter 6.1). */
export interface Optimizer {
  readonly name: string;
  update(params: Params, grads: Params): void;
}
