import type { Kernels, MatrixOrImages } from '../kernels/kernels.js';
import type { Matrix } from '../tensor/matrix.js';
import { ensureShape, type Layer } from './layer.js';

/**
 * Sigmoid (book section 5.5.2): y = 1 / (1 + exp(-x)); backward dx = dout * y * (1 - y).
 * y(1 - y) is at most 1/4, so each sigmoid layer shrinks the gradient by 4x or more on its
 * way to the input: the vanishing gradient of deep sigmoid nets.
 */
export class Sigmoid implements Layer {
  readonly op = { kind: 'sigmoid' } as const;
  private out: Matrix | null = null; // out: (N, H)
  private dx: Matrix | null = null; // dx: (N, H)

  constructor(
    private readonly kernels: Kernels,
    readonly name = 'Sigmoid',
  ) {}

  forward(input: MatrixOrImages): Matrix {
    const x = this.kernels.denseImages(input); // (a matrix is passed as it is)
    this.out = ensureShape(this.kernels, this.out, x.rows, x.cols);
    this.kernels.sigmoidForward(this.out, x);
    return this.out;
  }

  backward(dout: Matrix): Matrix {
    if (this.out === null) throw new Error(`${this.name}: backward called before forward`);
    this.dx = ensureShape(this.kernels, this.dx, dout.rows, dout.cols);
    this.kernels.sigmoidBackward(this.dx, dout, this.out);
    return this.dx;
  }
}
