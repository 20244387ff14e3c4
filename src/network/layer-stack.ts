import type { Kernels, MatrixOrImages } from '../kernels/kernels.js';
import type { Stage } from '../layers/conv-relu-pool.js';
import type { Layer } from '../layers/layer.js';
import type { SoftmaxWithLoss } from '../layers/softmax-with-loss.js';
import type { Matrix, Target } from '../tensor/matrix.js';
import type { Network, Params } from './network.js';
import { numericalGradient } from './numerical-gradient.js';
import { planStages } from './stages.js';

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
  /**
   * The book's weight_decay_lambda (section 6.4.2): the loss gains 0.5 * lambda * ΣW² over
   * every weight matrix (params W1, W2, ...; not the biases, gammas or betas), and each weight's
   * gradient gains lambda * W. 0: no penalty, and not a single extra operation.
   */
  weightDecay = 0;
  // The penalty the last loss() added (0 without weight decay).
  private lastPenalty = 0;
  // The names of the penalized weights, found on first use (a step allocates nothing).
  private decayed: string[] | null = null;
  // The layers as predict and gradient run them (a fused first block: ./stages.ts), and in
  // reverse; made on first use, so a training step allocates nothing.
  private stages: Stage[] | null = null;
  private backwardOrder: Stage[] | null = null;

  /**
   * Class scores before softmax (softmax does not change the argmax). `train` as the book's
   * train_flg: true while learning (Dropout draws a fresh mask), false for inference.
   */
  predict(x: MatrixOrImages, train = false): Matrix {
    let out = x;
    for (const stage of (this.stages ??= planStages(this.kernels, this.forwardLayers))) out = stage.forward(out, train);
    return this.kernels.denseImages(out);
  }

  /** The last loss(): the data loss, plus the weight decay penalty when there is one. */
  get lastLoss(): number {
    return this.weightDecay === 0 ? this.lastLayer.loss : this.lastLayer.loss + this.lastPenalty;
  }

  /** The loss, with the weight decay penalty; `train` as in predict (gradient() computes it in training mode). */
  loss(x: MatrixOrImages, t: Target, train = false): number {
    const dataLoss = this.lastLayer.forward(this.predict(x, train), t);
    if (this.weightDecay === 0) return dataLoss;
    this.lastPenalty = 0.5 * this.weightDecay * this.sumSquaredWeights();
    return dataLoss + this.lastPenalty;
  }

  /** ΣW² over the weight matrices W1, W2, ... */
  private sumSquaredWeights(): number {
    let sum = 0;
    for (const key of (this.decayed ??= weightNames(this.params))) {
      const w = this.params[key].data;
      for (let i = 0; i < w.length; i++) sum += w[i] * w[i];
    }
    return sum;
  }

  accuracy(x: MatrixOrImages, t: Target): number {
    return this.kernels.countCorrect(this.predict(x, false), t) / x.rows;
  }

  /** The central differences' step: the book's 1e-4 unless a net needs a finer one. */
  protected numericalStep = 1e-4;

  numericalGradient(x: MatrixOrImages, t: Target): Params {
    const f = () => this.loss(x, t, true); // the function gradient() differentiates
    const grads: Params = {};
    for (const [name, param] of Object.entries(this.params)) {
      grads[name] = numericalGradient(this.kernels, f, param, this.numericalStep);
    }
    return grads;
  }

  gradient(x: MatrixOrImages, t: Target): Params {
    this.loss(x, t, true); // forward
    this.backwardOrder ??= [...this.stages!].reverse(); // (predict made the stages)
    let dout = this.lastLayer.backward(1); // backward, in reverse layer order
    for (const stage of this.backwardOrder) dout = stage.backward(dout);
    if (this.weightDecay !== 0) {
      // d(0.5 * lambda * ΣW²)/dW = lambda * W, on top of the data loss's gradient.
      for (const key of (this.decayed ??= weightNames(this.params))) this.kernels.axpy(this.grads[key], this.weightDecay, this.params[key]);
    }
    return this.grads;
  }
}

/** The names of the weight matrices among the params: W1, W2, ... (what weight decay penalizes). */
export function weightNames(params: Params): string[] {
  return Object.keys(params).filter((key) => /^W\d+$/.test(key));
}
