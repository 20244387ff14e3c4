import type { Kernels } from '../kernels/kernels.js';
import { Affine } from '../layers/affine.js';
import type { Layer } from '../layers/layer.js';
import { Relu } from '../layers/relu.js';
import { SoftmaxWithLoss } from '../layers/softmax-with-loss.js';
import type { Matrix, Target } from '../tensor/matrix.js';
import type { Rng } from '../tensor/rng.js';
import type { Network, Params } from './network.js';
import { numericalGradient } from './numerical-gradient.js';

/**
 * The book's two-layer net (section 5.7.2, two_layer_net.py):
 * Affine1 -> Relu1 -> Affine2 -> SoftmaxWithLoss, with the book's method names.
 */
export class TwoLayerNet implements Network {
  readonly params: { W1: Matrix; b1: Matrix; W2: Matrix; b2: Matrix };
  /** The layers in forward order, by name (the book's OrderedDict). */
  readonly layers: Map<string, Layer>;
  readonly lastLayer: SoftmaxWithLoss;

  constructor(
    readonly kernels: Kernels,
    rng: Rng,
    readonly inputSize: number,
    readonly hiddenSize: number,
    readonly outputSize: number,
    readonly weightInitStd = 0.01,
  ) {
    // Weights: weightInitStd * N(0, 1), drawn W1 then W2 in row-major order; biases zero.
    this.params = {
      W1: randomMatrix(kernels, rng, inputSize, hiddenSize, weightInitStd), // W1: (784, 50)
      b1: kernels.alloc(1, hiddenSize), // b1: (1, 50)
      W2: randomMatrix(kernels, rng, hiddenSize, outputSize, weightInitStd), // W2: (50, 10)
      b2: kernels.alloc(1, outputSize), // b2: (1, 10)
    };
    const affine1 = new Affine(kernels, this.params.W1, this.params.b1, 'Affine1');
    affine1.needInputGrad = false; // nothing upstream of the first layer wants dX
    this.layers = new Map<string, Layer>([
      ['Affine1', affine1],
      ['Relu1', new Relu(kernels, 'Relu1')],
      ['Affine2', new Affine(kernels, this.params.W2, this.params.b2, 'Affine2')],
    ]);
    this.lastLayer = new SoftmaxWithLoss(kernels);
    this.backwardOrder = [...this.layers.values()].reverse();
  }

  /** The layers in backward order, made once so a training step allocates nothing. */
  private readonly backwardOrder: Layer[];

  /** Class scores before softmax (softmax does not change the argmax). */
  predict(x: Matrix): Matrix {
    let out = x;
    for (const layer of this.layers.values()) out = layer.forward(out);
    return out;
  }

  get lastLoss(): number {
    return this.lastLayer.loss;
  }

  loss(x: Matrix, t: Target): number {
    return this.lastLayer.forward(this.predict(x), t);
  }

  accuracy(x: Matrix, t: Target): number {
    return this.kernels.countCorrect(this.predict(x), t) / x.rows;
  }

  numericalGradient(x: Matrix, t: Target): Params {
    const f = () => this.loss(x, t);
    const grads: Params = {};
    for (const [name, param] of Object.entries(this.params)) {
      grads[name] = numericalGradient(this.kernels, f, param);
    }
    return grads;
  }

  gradient(x: Matrix, t: Target): Params {
    this.loss(x, t); // forward
    let dout = this.lastLayer.backward(1); // backward, in reverse layer order
    for (const layer of this.backwardOrder) dout = layer.backward(dout);
    const affine1 = this.layers.get('Affine1') as Affine;
    const affine2 = this.layers.get('Affine2') as Affine;
    return { W1: affine1.grads.W, b1: affine1.grads.b, W2: affine2.grads.W, b2: affine2.grads.b };
  }
}

export function randomMatrix(kernels: Kernels, rng: Rng, rows: number, cols: number, std: number): Matrix {
  const m = kernels.alloc(rows, cols);
  for (let i = 0; i < m.data.length; i++) m.data[i] = std * rng.normal();
  return m;
}
