import type { Kernels } from '../kernels/kernels.js';
import { Affine } from '../layers/affine.js';
import { Convolution } from '../layers/convolution.js';
import { Dropout } from '../layers/dropout.js';
import type { Layer } from '../layers/layer.js';
import { Pooling } from '../layers/pooling.js';
import { Relu } from '../layers/relu.js';
import { Sigmoid } from '../layers/sigmoid.js';
import { SoftmaxWithLoss } from '../layers/softmax-with-loss.js';
import { Rng } from '../tensor/rng.js';
import { initStd, type InitName } from './init.js';
import { LayerStack } from './layer-stack.js';
import { formatLayerSpec, planLayers, type LayerPart, type PlannedLayer, type Volume } from './layer-spec.js';
import type { Params } from './network.js';
import { randomMatrix } from './two-layer-net.js';

/** What a SequentialNet is made of: its layer spec's parts, the input's sizes, the classes. */
export interface SequentialNetSpec {
  parts: readonly LayerPart[];
  input: Volume; // (1, 28, 28) for MNIST
  classes: number; // 10
}

/** Where a parameter tensor's values come from: fresh draws, or a loaded model's. */
export type SequentialInit = { rng: Rng; init: InitName; weightInitStd: number } | { params: Params };

/**
 * Any network that is a list of layers before SoftmaxWithLoss, built from a layer spec
 * (layer-spec.ts): the book's SimpleConvNet (ch07) and DeepConvNet (ch08), or your own.
 *
 * Parameters are W1, b1, W2, b2, ... in layer order, over the convolution and affine layers,
 * as the book's convnets name them. A convolution's W is (FN, C*FH*FW) and an affine's (D, H);
 * biases are (1, n), zero at the start. Fresh weights are drawn layer by layer from the rng,
 * each N(0, s^2) with s from the init and the layer's fan-in (C*FH*FW for a convolution, the
 * input size for an affine): the book's weight_init_std, or He's sqrt(2 / fan-in).
 */
export class SequentialNet extends LayerStack {
  readonly params: Params;
  readonly lastLayer: SoftmaxWithLoss;
  readonly forwardLayers: readonly Layer[];
  /** Each layer with the sizes it takes and gives (the output layer included). */
  readonly plan: readonly PlannedLayer[];
  /** The Dropout layers, for holding their masks during a gradient check. */
  readonly dropouts: readonly Dropout[];
  protected readonly grads: Params;

  constructor(
    readonly kernels: Kernels,
    readonly spec: SequentialNetSpec,
    init: SequentialInit,
  ) {
    super();
    this.plan = planLayers(spec.parts, spec.input, spec.classes);
    const shapes = paramShapes(this.plan);
    if ('params' in init) {
      for (const [name, [rows, cols]] of shapes) {
        const m = init.params[name];
        if (m === undefined || m.rows !== rows || m.cols !== cols) throw new RangeError(`SequentialNet: ${name} must be (${rows}, ${cols})`);
      }
      this.params = init.params;
    } else {
      this.params = {};
      for (const [name, [rows, cols], fanIn] of shapes) {
        this.params[name] = name.startsWith('W') ? randomMatrix(kernels, init.rng, rows, cols, initStd(init.init, fanIn, init.weightInitStd)) : kernels.alloc(rows, cols);
      }
    }
    // Dropout draws its masks from the run's rng; a loaded net only predicts, which draws nothing.
    const rng = 'rng' in init ? init.rng : new Rng(0);
    const layers: Layer[] = [];
    const dropouts: Dropout[] = [];
    this.grads = {};
    let p = 0; // parameterized layers so far
    for (const { part, input } of this.plan) {
      const n = layers.length + 1;
      switch (part.kind) {
        case 'conv':
        case 'affine': {
          p++;
          const [W, b] = [this.params[`W${p}`], this.params[`b${p}`]];
          const layer =
            part.kind === 'conv'
              ? new Convolution(kernels, W, b, { ...input, FN: part.filters, FH: part.size, FW: part.size, stride: part.stride, pad: part.pad }, `Conv${p}`)
              : new Affine(kernels, W, b, `Affine${p}`);
          if (layers.length === 0) layer.needInputGrad = false; // nothing upstream of the first layer wants dx
          this.grads[`W${p}`] = layer.grads.W;
          this.grads[`b${p}`] = layer.grads.b;
          layers.push(layer);
          break;
        }
        case 'pool':
          layers.push(new Pooling(kernels, { ...input, FH: part.size, FW: part.size, stride: part.stride, pad: 0 }, `Pool${n}`));
          break;
        case 'relu':
          layers.push(new Relu(kernels, `Relu${n}`));
          break;
        case 'sigmoid':
          layers.push(new Sigmoid(kernels, `Sigmoid${n}`));
          break;
        case 'dropout': {
          const dropout = new Dropout(kernels, rng, part.ratio, `Dropout${n}`);
          dropouts.push(dropout);
          layers.push(dropout);
          break;
        }
      }
    }
    this.forwardLayers = layers;
    this.dropouts = dropouts;
    this.lastLayer = new SoftmaxWithLoss(kernels);
  }

  /** The layer spec with its output layer, e.g. "conv:30x5,relu,pool:2,affine:100,relu,affine:10". */
  get architecture(): string {
    return formatLayerSpec(this.plan.map((l) => l.part));
  }

  /** Each parameter's shape as the book's NumPy keeps it: a convolution's W is (FN, C, FH, FW). */
  tensorShapes(): Map<string, number[]> {
    return tensorShapes(this.plan);
  }
}

/** [name, (rows, cols) as the engine keeps it, fan-in] of each parameter, in order. */
function paramShapes(plan: readonly PlannedLayer[]): [string, [number, number], number][] {
  const shapes: [string, [number, number], number][] = [];
  let p = 0;
  for (const { part, input } of plan) {
    if (part.kind !== 'conv' && part.kind !== 'affine') continue;
    p++;
    const D = input.C * input.H * input.W;
    const [fanIn, outs] = part.kind === 'conv' ? [input.C * part.size * part.size, part.filters] : [D, part.size];
    shapes.push([`W${p}`, part.kind === 'conv' ? [outs, fanIn] : [D, outs], fanIn]); // W: (FN, C*FH*FW) or (D, H)
    shapes.push([`b${p}`, [1, outs], fanIn]); // b: (1, FN) or (1, H)
  }
  return shapes;
}

/** Each parameter's shape in a model file: conv W (FN, C, FH, FW), affine W (D, H), biases (n). */
export function tensorShapes(plan: readonly PlannedLayer[]): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  let p = 0;
  for (const { part, input } of plan) {
    if (part.kind !== 'conv' && part.kind !== 'affine') continue;
    p++;
    if (part.kind === 'conv') {
      shapes.set(`W${p}`, [part.filters, input.C, part.size, part.size]);
      shapes.set(`b${p}`, [part.filters]);
    } else {
      shapes.set(`W${p}`, [input.C * input.H * input.W, part.size]);
      shapes.set(`b${p}`, [part.size]);
    }
  }
  return shapes;
}
