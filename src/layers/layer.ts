import type { Kernels, MatrixOrImages, Op } from '../kernels/kernels.js';
import type { Matrix } from '../tensor/matrix.js';

/**
 * A layer of the network (book section 5.4): forward computes the output, backward takes
 * the upstream gradient dout and returns the gradient for its input.
 *
 * The matrices a layer returns are its own buffers, reused by the next call: read them
 * before calling the layer again. Layers with parameters expose them in `params` and the
 * gradients backward computed in `grads`, under the same names.
 */
export interface Layer {
  readonly name: string;
  /** What the layer computes at inference, as the kernels know it: evaluation runs these. */
  readonly op: Op;
  /**
   * x is the previous layer's output, or (first layer) the batch of images. `train` is the
   * book's train_flg: layers that behave differently while learning (Dropout's fresh mask)
   * read it; the others ignore it. Inference (evaluation) runs `op` instead.
   */
  forward(x: MatrixOrImages, train?: boolean): Matrix;
  backward(dout: Matrix): Matrix;
  readonly params?: Record<string, Matrix>;
  readonly grads?: Record<string, Matrix>;
  /**
   * What else the layer carries from step to step (a BatchNorm's running mean and variance),
   * by name: a checkpoint saves each as the tensor "layer.<layer name>.<name>" and restores it
   * by copying into the same matrix. Random draws (a Dropout's masks) should come from the
   * run's Rng, whose state a checkpoint saves too.
   */
  readonly state?: Record<string, Matrix>;
}

/** Returns `current` if it already has the shape, else a fresh matrix from the backend. */
export function ensureShape(kernels: Kernels, current: Matrix | null, rows: number, cols: number): Matrix {
  if (current !== null && current.rows === rows && current.cols === cols) return current;
  return kernels.alloc(rows, cols);
}
