import type { Kernels, MatrixOrImages } from '../kernels/kernels.js';
import type { Layer } from '../layers/layer.js';
import type { SoftmaxWithLoss } from '../layers/softmax-with-loss.js';
import type { Matrix, Target } from '../tensor/matrix.js';
import type { Network, Params } from './network.js';
import { numericalGradient } from './numerical-gradient.js';

/**
 * What every network made of a list of layers and a SoftmaxWithLoss does the same way (book
 * section 5.7.2): predict runs the layers in order, gradient runs forward then backward in
 * reverse order. TwoLayerNet and MultiLayerNet say which layers; this says how they run.
 */
export abstract class LayerStack implements Network {
  abstract readonly kernels: Kernels;
  abstract readonly params: Params;
  abstract readonly lastLayer: SoftmaxWithLoss;
  abstract readonly forwardLayers: readonly Layer[];
  /** The layers' gradient buffers by parameter name; backward overwrites them. */
  protected abstract readonly grads: Params;
  // Made on first use, so a training step allocates nothing.
  private backwardOrder: Layer[] | null = null;

  /**
   * Class scores before softmax (softmax does not change the argmax). `train` as the book's
   * train_flg: true while learning (Dropout draws a fresh mask), false for inference.
   */
  predict(x: MatrixOrImages, train = false): Matrix {
    let out = x;
    for (const layer of this.forwardLayers) out = layer.forward(out, train);
    return this.kernels.denseImages(out);
  }

  get lastLoss(): number {
    return this.lastLayer.loss;
  }

  /** The loss; `train` as in predict (gradient() computes it in training mode). */
  loss(x: MatrixOrImages, t: Target, train = false): number {
    return this.lastLayer.forward(this.predict(x, train), t);
  }

  accuracy(x: MatrixOrImages, t: Target): number {
    return this.kernels.countCorrect(this.predict(x, false), t) / x.rows;
  }

  numericalGradient(x: MatrixOrImages, t: Target): Params {
    const f = () => this.loss(x, t, true); // the function gradient() differentiates
    const grads: Params = {};
    for (const [name, param] of Object.entries(this.params)) {
      grads[name] = numericalGradient(this.kernels, f, param);
    }
    return grads;
  }

  gradient(x: MatrixOrImages, t: Target): Params {
    this.loss(x, t, true); // forward
    this.backwardOrder ??= [...this.forwardLayers].reverse();
    let dout = this.lastLayer.backward(1); // backward, in reverse layer order
    for (const layer of this.backwardOrder) dout = layer.backward(dout);
    return this.grads;
  }
}
