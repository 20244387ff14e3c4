import type { Kernels } from '../kernels/kernels.js';
import { Affine } from '../layers/affine.js';
import { BatchNormalization } from '../layers/batch-normalization.js';
import { Dropout } from '../layers/dropout.js';
import type { Layer } from '../layers/layer.js';
import { Relu } from '../layers/relu.js';
import { Sigmoid } from '../layers/sigmoid.js';
import { SoftmaxWithLoss } from '../layers/softmax-with-loss.js';
import type { Matrix } from '../tensor/matrix.js';
import { Rng } from '../tensor/rng.js';
import { initWeights, type InitName } from './init.js';
import type { ActivationName } from './names.js';
import { LayerStack } from './layer-stack.js';
import type { Params } from './network.js';

export { ACTIVATION_NAMES, type ActivationName } from './names.js';

/** The shape of a fully connected net: inputSize -> hiddenSizes... -> outputSize. */
export interface MultiLayerNetSpec {
  inputSize: number; // 784 for MNIST
  hiddenSizes: number[]; // one entry per hidden layer, e.g. [100, 100, 100]
  outputSize: number; // 10 classes
  activation: ActivationName;
  /** A BatchNormalization after each hidden Affine, before its activation (the book's MultiLayerNetExtend). */
  batchNorm?: boolean;
  /** A Dropout of this ratio after each hidden activation (overfit_dropout.py); 0 or unset: none. */
  dropout?: number;
  /** The book's weight_decay_lambda: see LayerStack.weightDecay; 0 or unset: none. */
  weightDecay?: number;
}

export interface InitSpec {
  init: InitName;
  weightInitStd: number; // used by init 'std' only
}

/**
 * The book's general fully connected net (section 6.1.8, common/multi_layer_net.py):
 * (Affine -> Relu|Sigmoid) x hidden layers, then Affine -> SoftmaxWithLoss, with the same
 * API as TwoLayerNet (params W1, b1, ..., Wn, bn; ordered layers; lastLayer; predict,
 * loss, accuracy, gradient, numericalGradient).
 *
 * With one hidden ReLU layer and init 'std' it draws its weights in TwoLayerNet's order
 * (W1 then W2, row-major) and runs the same kernels in the same order, so for the same seed
 * it gives bit-identical parameters, losses and gradients to the book's two-layer net.
 * As the book's MultiLayerNetExtend it can also put a BatchNormalization (params gamma_i,
 * beta_i; running statistics in `buffers` as runningMean_i, runningVar_i) between each hidden
 * Affine and its activation, and a Dropout after each hidden activation; as its MultiLayerNet,
 * it can add weight decay to the loss. None of them changes the net without them: the same
 * draws, layers and arithmetic.
 */
export class MultiLayerNet extends LayerStack {
  readonly params: Params;
  /** The layers in forward order, by name: Affine1, Relu1 (or Sigmoid1), ..., AffineN. */
  readonly layers: Map<string, Layer>;
  readonly lastLayer: SoftmaxWithLoss;
  readonly affines: Affine[];
  /** Layer widths from input to output, e.g. [784, 100, 100, 10]. */
  readonly sizes: number[];
  /** The layers in forward order (an array: iterating the Map made an iterator a call). */
  readonly forwardLayers: readonly Layer[];
  /** The Affine (and BatchNorm) layers' gradient buffers by parameter name; backward overwrites them. */
  protected readonly grads: Params;
  /** State that is not learned but belongs to the model: the BatchNorm layers' running statistics. */
  readonly buffers: Params;

  /**
   * `init` is either a seeded Rng with an initialisation to draw fresh weights, or existing
   * parameters and buffers (a loaded model), which are used as they are, not copied. The
   * Dropout layers draw their masks from `init.rng` (a loaded net only runs them at inference).
   */
  constructor(
    readonly kernels: Kernels,
    readonly spec: MultiLayerNetSpec,
    init: { rng: Rng; init: InitName; weightInitStd: number } | { params: Params; buffers?: Params },
  ) {
    super();
    this.sizes = [spec.inputSize, ...spec.hiddenSizes, spec.outputSize];
    for (const n of this.sizes) {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`MultiLayerNet: layer sizes must be positive integers, got ${this.sizes.join('-')}`);
    }
    const layerCount = this.sizes.length - 1;
    if ('params' in init) {
      this.params = init.params;
      for (let i = 1; i <= layerCount; i++) {
        const W = init.params[`W${i}`];
        const b = init.params[`b${i}`];
        const [nIn, nOut] = [this.sizes[i - 1], this.sizes[i]];
        if (W === undefined || W.rows !== nIn || W.cols !== nOut) throw new RangeError(`MultiLayerNet: W${i} must be (${nIn}, ${nOut})`);
        if (b === undefined || b.rows !== 1 || b.cols !== nOut) throw new RangeError(`MultiLayerNet: b${i} must be (1, ${nOut})`);
      }
      this.buffers = init.buffers ?? {};
      if (spec.batchNorm === true) {
        for (let i = 1; i < layerCount; i++) {
          for (const key of [`gamma${i}`, `beta${i}`]) {
            const m = init.params[key];
            if (m === undefined || m.rows !== 1 || m.cols !== this.sizes[i]) throw new RangeError(`MultiLayerNet: ${key} must be (1, ${this.sizes[i]})`);
          }
          for (const key of [`runningMean${i}`, `runningVar${i}`]) {
            const m = this.buffers[key];
            if (m === undefined || m.rows !== 1 || m.cols !== this.sizes[i]) throw new RangeError(`MultiLayerNet: ${key} must be (1, ${this.sizes[i]})`);
          }
        }
      }
    } else {
      // All weights first, in layer order, then zero biases: TwoLayerNet's draw order.
      const weights: Matrix[] = [];
      for (let i = 1; i <= layerCount; i++) {
        weights.push(initWeights(kernels, init.rng, this.sizes[i - 1], this.sizes[i], init.init, init.weightInitStd)); // Wi: (n_{i-1}, n_i)
      }
      this.params = {};
      for (let i = 1; i <= layerCount; i++) {
        this.params[`W${i}`] = weights[i - 1];
        this.params[`b${i}`] = kernels.alloc(1, this.sizes[i]); // bi: (1, n_i)
      }
      this.buffers = {};
      if (spec.batchNorm === true) {
        for (let i = 1; i < layerCount; i++) {
          const gamma = kernels.alloc(1, this.sizes[i]); // gammai: (1, n_i), ones
          gamma.data.fill(1);
          this.params[`gamma${i}`] = gamma;
          this.params[`beta${i}`] = kernels.alloc(1, this.sizes[i]); // betai: (1, n_i), zeros
          this.buffers[`runningMean${i}`] = kernels.alloc(1, this.sizes[i]); // (1, n_i), zeros
          this.buffers[`runningVar${i}`] = kernels.alloc(1, this.sizes[i]); // (1, n_i), zeros as the book's
        }
      }
    }

    this.layers = new Map<string, Layer>();
    this.affines = [];
    const norms: BatchNormalization[] = [];
    const dropout = spec.dropout ?? 0;
    // Masks come from the run's Rng; a loaded net never draws one (it only infers).
    const maskRng = 'rng' in init ? init.rng : null;
    for (let i = 1; i <= layerCount; i++) {
      const affine = new Affine(kernels, this.params[`W${i}`], this.params[`b${i}`], `Affine${i}`);
      this.affines.push(affine);
      this.layers.set(affine.name, affine);
      if (i < layerCount) {
        if (spec.batchNorm === true) {
          const bn = new BatchNormalization(kernels, this.params[`gamma${i}`], this.params[`beta${i}`], this.buffers[`runningMean${i}`], this.buffers[`runningVar${i}`], 0.9, `BatchNorm${i}`);
          norms.push(bn);
          this.layers.set(bn.name, bn);
        }
        const act = spec.activation === 'relu' ? new Relu(kernels, `Relu${i}`) : new Sigmoid(kernels, `Sigmoid${i}`);
        this.layers.set(act.name, act);
        if (dropout > 0) {
          const drop = new Dropout(kernels, maskRng ?? new Rng(0), dropout, `Dropout${i}`);
          this.layers.set(drop.name, drop);
        }
      }
    }
    this.weightDecay = spec.weightDecay ?? 0;
    // Normalizing by the batch's own statistics curves the loss enough that the book's h = 1e-4
    // leaves a truncation error of about 1e-6 (it shrinks as h^2); at 1e-5 it is about 1e-8,
    // and float64 round-off (about 1e-11 at this h) is still far below it.
    if (spec.batchNorm === true) this.numericalStep = 1e-5;
    this.affines[0].needInputGrad = false; // nothing upstream of the first layer wants dX
    this.lastLayer = new SoftmaxWithLoss(kernels);
    // Made once: the training loop allocates nothing per step.
    this.forwardLayers = [...this.layers.values()];
    this.grads = {};
    this.affines.forEach((affine, i) => {
      this.grads[`W${i + 1}`] = affine.grads.W;
      this.grads[`b${i + 1}`] = affine.grads.b;
    });
    norms.forEach((bn, i) => {
      this.grads[`gamma${i + 1}`] = bn.grads.gamma;
      this.grads[`beta${i + 1}`] = bn.grads.beta;
    });
  }

  /**
   * Dropout layers keep their last mask instead of drawing one per forward pass (true) or
   * draw again (false): the gradient check differentiates one fixed function.
   */
  holdDropoutMasks(hold: boolean): void {
    for (const layer of this.forwardLayers) if (layer instanceof Dropout) layer.holdMask = hold;
  }

  /** e.g. "784-100-100-10" */
  get architecture(): string {
    return this.sizes.join('-');
  }
}
