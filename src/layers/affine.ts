import type { Kernels, MatrixOrImages, Op } from '../kernels/kernels.js';
import type { Matrix } from '../tensor/matrix.js';
import { ensureShape, type Layer } from './layer.js';

/**
 * Affine (book section 5.6.2), on a batch: Y = X·W + B.
 * Backward: dX = dY·W^T, dW = X^T·dY, dB = sum of dY over the batch (axis 0).
 *
 * `needInputGrad = false` skips dX: the network's first layer has no one to pass it to,
 * and for MNIST it is as costly as the forward pass (100 x 50 x 784 multiply-adds).
 */
export class Affine implements Layer {
  readonly params: { W: Matrix; b: Matrix };
  readonly grads: { W: Matrix; b: Matrix };
  readonly op: Op;
  needInputGrad = true;

  private x: MatrixOrImages | null = null; // x: (N, D), kept by reference for backward
  private out: Matrix | null = null; // out: (N, H)
  private dx: Matrix | null = null; // dx: (N, D)

  constructor(
    private readonly kernels: Kernels,
    W: Matrix, // W: (D, H)
    b: Matrix, // b: (1, H)
    readonly name = 'Affine',
  ) {
    if (b.rows !== 1 || b.cols !== W.cols) {
      throw new RangeError(`${name}: bias must be (1, ${W.cols}), got (${b.rows}, ${b.cols})`);
    }
    this.params = { W, b };
    this.op = { kind: 'affine', W, b };
    this.grads = { W: kernels.alloc(W.rows, W.cols), b: kernels.alloc(1, W.cols) };
  }

  forward(x: MatrixOrImages): Matrix {
    const { W, b } = this.params;
    if (x.cols !== W.rows) throw new RangeError(`${this.name}: input has ${x.cols} columns, W has ${W.rows} rows`);
    this.x = x;
    this.out = ensureShape(this.kernels, this.out, x.rows, W.cols);
    this.kernels.affineForward(this.out, x, W, b);
    return this.out;
  }

  backward(dout: Matrix): Matrix {
    if (this.x === null) throw new Error(`${this.name}: backward called before forward`);
    this.kernels.matmulTransA(this.grads.W, this.x, dout);
    this.kernels.sumRows(this.grads.b, dout);
    this.dx = ensureShape(this.kernels, this.dx, this.x.rows, this.x.cols);
    if (this.needInputGrad) this.kernels.matmulTransB(this.dx, dout, this.params.W);
    return this.dx;
  }
}
