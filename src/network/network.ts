import type { Kernels, MatrixOrImages } from '../kernels/kernels.js';
import type { Layer } from '../layers/layer.js';
import type { Matrix, Target } from '../tensor/matrix.js';

/** Parameters (or their gradients) by the book's names: W1, b1, W2, b2, ... */
export type Params = Record<string, Matrix>;

/**
 * What the trainer and the gradient check need from a network; TwoLayerNet (the book's)
 * and the general N-layer net both provide it. Inputs may be matrices or batches of images.
 */
export interface Network {
  readonly kernels: Kernels;
  readonly params: Params;
  /** The layers in forward order (before the loss): their ops are the network for evaluation. */
  readonly forwardLayers: readonly Layer[];
  /** The loss of the last forward pass through the loss layer (what gradient() just saw). */
  readonly lastLoss: number;
  /** `train` is the book's train_flg (Dropout's fresh mask); false (inference) by default. */
  predict(x: MatrixOrImages, train?: boolean): Matrix;
  loss(x: MatrixOrImages, t: Target, train?: boolean): number;
  accuracy(x: MatrixOrImages, t: Target): number;
  /** Gradients by backpropagation; the returned matrices are reused by the next call. */
  gradient(x: MatrixOrImages, t: Target): Params;
  /** Gradients by central differences (slow; for checking `gradient`). */
  numericalGradient(x: MatrixOrImages, t: Target): Params;
}
