import { forwardOp, opOutputCols } from '../kernels/forward.js';
import type { ForwardOp, Kernels } from '../kernels/kernels.js';
import { mapOpMatrices } from '../kernels/ops.js';
import { argmaxRow, referenceKernels } from '../kernels/reference.js';
import type { Network } from '../network/network.js';
import type { Matrix } from '../tensor/matrix.js';
import { forwardOps } from '../train/evaluate.js';

/**
 * A copy of a network's weights as they were at one moment (a loaded model, or a training
 * run after an epoch), in two forms: the JSON the page runs in the browser, and a forward
 * pass on the reference kernels for POST /api/predict. A copy, because the trainer goes on
 * changing its own matrices while the page reads these.
 *
 * Everything here follows the network's list of ops, one entry per layer: a new kind of layer
 * adds one case to `describeOp` below, and one view and one op in the page's forward.js and
 * page.js; nothing else changes.
 */
export interface LayerOutput {
  readonly name: string; // Affine1, Relu1, ..., Softmax
  readonly kind: string; // the op's kind
  readonly values: number[]; // the layer's output for one image
}

export interface Prediction {
  readonly probabilities: number[];
  readonly predicted: number; // argmax, first max wins (as predict and eval)
  readonly layers: LayerOutput[];
}

interface NamedOp {
  readonly name: string;
  readonly op: ForwardOp;
}

export class ModelSnapshot {
  private readonly kernels: Kernels;
  private readonly ops: NamedOp[];
  private json: string | undefined;

  /**
   * `inputShape` is how the page draws the input ([28, 28] for MNIST); `info` goes to the
   * page as it is (architecture, metadata, where the weights come from).
   */
  constructor(
    net: Network,
    readonly version: number,
    readonly inputShape: readonly [number, number],
    readonly info: Record<string, unknown>,
  ) {
    const ops = forwardOps(net);
    this.kernels = referenceKernels(net.kernels.dtype);
    const counts = new Map<string, number>();
    this.ops = ops.map((op) => {
      // The network's own layer names: Affine1, Relu1, Affine2, ...
      const base = LAYER_NAMES[op.kind];
      const n = (counts.get(base) ?? 0) + 1;
      counts.set(base, n);
      return { name: `${base}${n}`, op: this.copyOp(op) };
    });
  }

  get inputSize(): number {
    const first = this.ops[0].op;
    if (first.kind === 'conv' || first.kind === 'pool') return first.shape.C * first.shape.H * first.shape.W;
    return first.kind === 'affine' ? first.W.rows : 0;
  }

  get classes(): number {
    const last = [...this.ops].reverse().find((o) => o.op.kind === 'affine')!.op as Extract<ForwardOp, { kind: 'affine' }>;
    return last.W.cols;
  }

  /** The page's model: its layers in order, weights as base64 of little-endian floats. Made once. */
  toJson(): string {
    this.json ??= JSON.stringify({
      version: this.version,
      dtype: this.kernels.dtype,
      inputShape: this.inputShape,
      classes: this.classes,
      ...this.info,
      layers: [...this.ops.map(({ name, op }) => ({ name, ...describeOp(op) })), { name: 'Softmax', kind: 'softmax' }],
    });
    return this.json;
  }

  /** The forward pass for one image (`pixels` in 0..1), every layer's output kept. */
  predict(pixels: ArrayLike<number>): Prediction {
    let x = this.kernels.alloc(1, pixels.length); // x: (1, 784)
    x.data.set(pixels);
    const layers: LayerOutput[] = [];
    for (const { name, op } of this.ops) {
      x = runOp(this.kernels, op, x);
      layers.push({ name, kind: op.kind, values: Array.from(x.data) });
    }
    const probs = this.kernels.alloc(1, x.cols); // probs: (1, classes)
    this.kernels.softmax(probs, x);
    const probabilities = Array.from(probs.data);
    layers.push({ name: 'Softmax', kind: 'softmax', values: probabilities });
    return { probabilities, predicted: argmaxRow(probs, 0), layers };
  }

  private copyOp(op: ForwardOp): ForwardOp {
    return mapOpMatrices(op, (m: Matrix) => {
      const copy = this.kernels.alloc(m.rows, m.cols);
      copy.data.set(m.data);
      return copy;
    }) as ForwardOp;
  }
}

/** One op as the page's forward.js reads it. */
function describeOp(op: ForwardOp): Record<string, unknown> {
  switch (op.kind) {
    case 'affine':
      // W is (inputs, outputs), row-major: the book's layout, as in the model file.
      return { kind: 'affine', inputs: op.W.rows, outputs: op.W.cols, W: base64(op.W), b: base64(op.b) };
    case 'relu':
    case 'sigmoid':
      return { kind: op.kind };
    case 'dropout':
      return { kind: op.kind, ratio: op.ratio };
    case 'batchnorm':
      return { kind: op.kind, eps: op.eps, gamma: base64(op.gamma), beta: base64(op.beta), runningMean: base64(op.runningMean), runningVar: base64(op.runningVar) };
    case 'conv':
      // W is (FN, C*FH*FW), row-major: each filter's weights over (channel, row, column).
      return { kind: op.kind, shape: op.shape, W: base64(op.W), b: base64(op.b) };
    case 'pool':
      return { kind: op.kind, shape: op.shape };
  }
}

/** The network's own layer names, numbered per kind: Affine1, Relu1, Affine2, ... */
const LAYER_NAMES: Record<ForwardOp['kind'], string> = { affine: 'Affine', relu: 'Relu', sigmoid: 'Sigmoid', dropout: 'Dropout', batchnorm: 'BatchNorm', conv: 'Conv', pool: 'Pool' };

/** One op's forward pass on one image's row, by the kernels' own dispatch. */
function runOp(k: Kernels, op: ForwardOp, x: Matrix): Matrix {
  const out = k.alloc(1, opOutputCols(op, x.cols)); // out: (1, the op's width)
  forwardOp(k, op, out, x);
  return out;
}

function base64(m: Matrix): string {
  return Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength).toString('base64');
}
