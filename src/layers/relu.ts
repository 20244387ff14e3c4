import type { Kernels, MatrixOrImages } from '../kernels/kernels.js';
import type { Matrix } from '../tensor/matrix.js';
import { ensureShape, type Layer } from './layer.js';

/**
 * ReLU (book section 5.5.1): y = max(0, x). Backward lets dout through where x > 0 and
 * stops it elsewhere. The book keeps a boolean mask; the output y is that mask already
 * (y > 0 exactly where x > 0), so we keep y and need no extra buffer.
 */
export class Relu implements Layer {
  readonly op = { kind: 'relu' } as const;
  private out: Matrix | null = null; // out: (N, H)
  private dx: Matrix | null = null; // dx: (N, H)

  constructor(
    private readonly kernels: Kernels,
    readonly name = 'Relu',
  ) {}

  forward(input: MatrixOrImages): Matrix {
    const x = this.kernels.denseImages(input); // (a matrix is passed as it is)
    this.out = ensureShape(this.kernels, this.out, x.rows, x.cols);
    this.kernels.reluForward(this.out, x);
    return this.out;
  }

  backward(dout: Matrix): Matrix {
    if (this.out === null) throw new Error(`${this.name}: backward called before forward`);
    this.dx = ensureShape(this.kernels, this.dx, dout.rows, dout.cols);
    this.kernels.reluBackward(this.dx, dout, this.out);
    return this.dx;
  }
}
