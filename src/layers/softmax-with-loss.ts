import type { Kernels } from '../kernels/kernels.js';
import type { Matrix, Target } from '../tensor/matrix.js';
import { ensureShape } from './layer.js';

/**
 * Softmax followed by cross-entropy (book section 5.6.3), as one layer because together
 * their backward pass is just (y - t) / N.
 *
 * The loss adds 1e-7 inside the log as the book does; the analytic backward ignores it,
 * which is why the gradient check of the last bias shows a difference near 1e-7.
 * Targets may be class indices or one-hot rows.
 */
export class SoftmaxWithLoss {
  loss = NaN;
  private y: Matrix | null = null; // y: (N, C), the softmax output
  private t: Target | null = null;
  private dx: Matrix | null = null; // dx: (N, C)

  constructor(
    private readonly kernels: Kernels,
    readonly name = 'SoftmaxWithLoss',
  ) {}

  forward(x: Matrix, t: Target): number {
    const n = ArrayBuffer.isView(t) ? t.length : t.rows;
    if (n !== x.rows) throw new RangeError(`${this.name}: ${x.rows} rows of scores but ${n} targets`);
    this.t = t;
    this.y = ensureShape(this.kernels, this.y, x.rows, x.cols);
    this.kernels.softmax(this.y, x);
    this.loss = this.kernels.crossEntropy(this.y, t);
    return this.loss;
  }

  backward(dout = 1): Matrix {
    if (this.y === null || this.t === null) throw new Error(`${this.name}: backward called before forward`);
    this.dx = ensureShape(this.kernels, this.dx, this.y.rows, this.y.cols);
    this.kernels.softmaxCrossEntropyBackward(this.dx, this.y, this.t);
    // The book's backward assumes dout = 1 (the loss is the end of the graph); honour others.
    if (dout !== 1) for (let i = 0; i < this.dx.data.length; i++) this.dx.data[i] *= dout;
    return this.dx;
  }

  /** The softmax probabilities of the last forward call. */
  get probabilities(): Matrix | null {
    return this.y;
  }
}
