import { convOutputSize } from '../kernels/conv-reference.js';
import type { Kernels, MatrixOrImages, Op, PoolOpShape } from '../kernels/kernels.js';
import type { Matrix } from '../tensor/matrix.js';
import { ensureShape, type Layer } from './layer.js';

/**
 * Max pooling (book section 7.4.4, common/layers.py): each channel of each image is cut into
 * FH x FW windows (every `stride` pixels) and each window gives its largest value. It has no
 * parameters. Backward routes each dout to the position that was the max (the argmax kept by
 * forward) and gives the others zero.
 *
 * x (N, C*H*W) -> out (N, C*OH*OW), channels kept.
 */
export class Pooling implements Layer {
  readonly op: Op & { kind: 'pool' };
  /** The output's sizes per image: C channels of OH x OW. */
  readonly outShape: { C: number; H: number; W: number };

  private argmax: Int32Array | null = null; // argmax: (N*C*OH*OW), index into the image's C*H*W values
  private out: Matrix | null = null; // out: (N, C*OH*OW)
  private dx: Matrix | null = null; // dx: (N, C*H*W)

  constructor(
    private readonly kernels: Kernels,
    readonly shape: PoolOpShape,
    readonly name = 'Pooling',
  ) {
    const { OH, OW } = convOutputSize({ N: 1, ...shape });
    this.outShape = { C: shape.C, H: OH, W: OW };
    this.op = { kind: 'pool', shape };
  }

  forward(input: MatrixOrImages): Matrix {
    const x = this.kernels.denseImages(input);
    const { C, H, W } = this.shape;
    if (x.cols !== C * H * W) throw new RangeError(`${this.name}: input has ${x.cols} columns, expected ${C}x${H}x${W} = ${C * H * W}`);
    const o = this.outShape;
    this.out = ensureShape(this.kernels, this.out, x.rows, o.C * o.H * o.W);
    if (this.argmax === null || this.argmax.length !== this.out.data.length) this.argmax = this.kernels.allocInt32(this.out.data.length);
    this.kernels.poolForward(this.out, this.argmax, x, this.shape);
    return this.out;
  }

  backward(dout: Matrix): Matrix {
    if (this.argmax === null || this.out === null) throw new Error(`${this.name}: backward called before forward`);
    const { C, H, W } = this.shape;
    this.dx = ensureShape(this.kernels, this.dx, dout.rows, C * H * W);
    this.kernels.poolBackward(this.dx, dout, this.argmax, this.shape);
    return this.dx;
  }
}
