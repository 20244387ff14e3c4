import { convOutputSize } from '../kernels/conv-reference.js';
import type { ConvOpShape, Kernels, MatrixOrImages, Op } from '../kernels/kernels.js';
import type { Matrix } from '../tensor/matrix.js';
import { ensureShape, type Layer } from './layer.js';

/**
 * Convolution (book section 7.4.3, common/layers.py): FN filters of C x FH x FW slide over each
 * image with a stride, after `pad` zeros around it; each output is a window's sum of products
 * with a filter, plus that filter's bias. The kernels do it the book's way (im2col, then one
 * product) or an equivalent faster one.
 *
 * Images are rows of the batch, NCHW flattened: x (N, C*H*W) -> out (N, FN*OH*OW). The filters
 * W are (FN, C*FH*FW), i.e. (filters, channels, height, width) flattened, as the book keeps them.
 * Backward: dW, db and (unless `needInputGrad` is false, as for the first layer) dx by col2im.
 */
export class Convolution implements Layer {
  readonly params: { W: Matrix; b: Matrix };
  readonly grads: { W: Matrix; b: Matrix };
  readonly op: Op & { kind: 'conv' };
  /** The output's sizes per image: FN channels of OH x OW. */
  readonly outShape: { C: number; H: number; W: number };
  needInputGrad = true;

  private x: MatrixOrImages | null = null; // x: (N, C*H*W), kept by reference for backward
  private out: Matrix | null = null; // out: (N, FN*OH*OW)
  private dx: Matrix | null = null; // dx: (N, C*H*W)

  constructor(
    private readonly kernels: Kernels,
    W: Matrix, // W: (FN, C*FH*FW)
    b: Matrix, // b: (1, FN)
    readonly shape: ConvOpShape,
    readonly name = 'Convolution',
  ) {
    const { FN, C, FH, FW } = shape;
    if (W.rows !== FN || W.cols !== C * FH * FW) throw new RangeError(`${name}: W must be (${FN}, ${C * FH * FW}), got (${W.rows}, ${W.cols})`);
    if (b.rows !== 1 || b.cols !== FN) throw new RangeError(`${name}: bias must be (1, ${FN}), got (${b.rows}, ${b.cols})`);
    const { OH, OW } = convOutputSize({ N: 1, ...shape });
    this.outShape = { C: FN, H: OH, W: OW };
    this.params = { W, b };
    this.op = { kind: 'conv', W, b, shape };
    this.grads = { W: kernels.alloc(W.rows, W.cols), b: kernels.alloc(1, FN) };
  }

  forward(x: MatrixOrImages): Matrix {
    const { C, H, W } = this.shape;
    if (x.cols !== C * H * W) throw new RangeError(`${this.name}: input has ${x.cols} columns, expected ${C}x${H}x${W} = ${C * H * W}`);
    this.x = x;
    const o = this.outShape;
    this.out = ensureShape(this.kernels, this.out, x.rows, o.C * o.H * o.W);
    this.kernels.convForward(this.out, x, this.params.W, this.params.b, this.shape);
    return this.out;
  }

  backward(dout: Matrix): Matrix {
    if (this.x === null) throw new Error(`${this.name}: backward called before forward`);
    this.dx = ensureShape(this.kernels, this.dx, this.x.rows, this.x.cols);
    const dx = this.needInputGrad ? this.dx : null;
    this.kernels.convBackward(dx, this.grads.W, this.grads.b, dout, this.x, this.params.W, this.shape);
    return this.dx;
  }
}
