import type { Kernels } from '../kernels/kernels.js';
import { Affine } from '../layers/affine.js';
import type { Layer } from '../layers/layer.js';
import { Relu } from '../layers/relu.js';
import { SoftmaxWithLoss } from '../layers/softmax-with-loss.js';
import type { Matrix } from '../tensor/matrix.js';
import type { Rng } from '../tensor/rng.js';
import { LayerStack } from './layer-stack.js';

/**
 * The book's two-layer net (section 5.7.2, two_layer_net.py):
 * Affine1 -> Relu1 -> Affine2 -> SoftmaxWithLoss, with the book's method names (predict,
 * loss, accuracy, numericalGradient, gradient: see LayerStack).
 */
export class TwoLayerNet extends LayerStack {
  readonly params: { W1: Matrix; b1: Matrix; W2: Matrix; b2: Matrix };
  /** The layers in forward order, by name (the book's OrderedDict). */
  readonly layers: Map<string, Layer>;
  readonly forwardLayers: readonly Layer[];
  readonly lastLayer: SoftmaxWithLoss;
  protected readonly grads: { W1: Matrix; b1: Matrix; W2: Matrix; b2: Matrix };

  constructor(
    readonly kernels: Kernels,
    rng: Rng,
    readonly inputSize: number,
    readonly hiddenSize: number,
    readonly outputSize: number,
    readonly weightInitStd = 0.01,
  ) {
    super();
    // Weights: weightInitStd * N(0, 1), drawn W1 then W2 in row-major order; biases zero.
    this.params = {
      W1: randomMatrix(kernels, rng, inputSize, hiddenSize, weightInitStd), // W1: (784, 50)
      b1: kernels.alloc(1, hiddenSize), // b1: (1, 50)
      W2: randomMatrix(kernels, rng, hiddenSize, outputSize, weightInitStd), // W2: (50, 10)
      b2: kernels.alloc(1, outputSize), // b2: (1, 10)
    };
    const affine1 = new Affine(kernels, this.params.W1, this.params.b1, 'Affine1');
    affine1.needInputGrad = false; // nothing upstream of the first layer wants dX
    const affine2 = new Affine(kernels, this.params.W2, this.params.b2, 'Affine2');
    this.layers = new Map<string, Layer>([
      ['Affine1', affine1],
      ['Relu1', new Relu(kernels, 'Relu1')],
      ['Affine2', affine2],
    ]);
    this.forwardLayers = [...this.layers.values()];
    this.lastLayer = new SoftmaxWithLoss(kernels);
    this.grads = { W1: affine1.grads.W, b1: affine1.grads.b, W2: affine2.grads.W, b2: affine2.grads.b };
  }
}

export function randomMatrix(kernels: Kernels, rng: Rng, rows: number, cols: number, std: number): Matrix {
  const m = kernels.alloc(rows, cols);
  for (let i = 0; i < m.data.length; i++) m.data[i] = std * rng.normal();
  return m;
}
