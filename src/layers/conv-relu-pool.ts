import type { Kernels, MatrixOrImages, Op } from '../kernels/kernels.js';
import type { Matrix } from '../tensor/matrix.js';
import { ensureShape, type Layer } from './layer.js';

/** A step of a layer stack: one layer, or several that run as one. */
export type Stage = Pick<Layer, 'name' | 'forward' | 'backward'>;

/**
 * The book's first block, Convolution -> Relu -> Pooling 2x2 (SimpleConvNet's), as one step
 * of the stack when it is the network's first (../kernels/fusion.ts says which runs fuse):
 * the three layers' numbers, without their (N, FN*OH*OW) activations and the passes over
 * them. The gradients go into the Convolution layer's grads, where the network's point.
 * Being first, nothing upstream wants dx: backward returns zeros, as the first Convolution does.
 */
export class ConvReluPool implements Stage {
  private x: MatrixOrImages | null = null; // x: (N, C*H*W), kept by reference for backward
  private pooled: Matrix | null = null; // pooled: (N, FN*PH*PW)
  private argmax: Int32Array | null = null; // argmax: (N*FN*PH*PW), index into the image's FN*OH*OW activations
  private dx: Matrix | null = null; // dx: (N, C*H*W), never written

  constructor(
    private readonly kernels: Kernels,
    private readonly conv: Op & { kind: 'conv' },
    private readonly pool: Op & { kind: 'pool' },
    private readonly grads: { W: Matrix; b: Matrix },
    readonly name = 'ConvReluPool',
  ) {}

  forward(x: MatrixOrImages): Matrix {
    const { C, H, W } = this.conv.shape;
    if (x.cols !== C * H * W) throw new RangeError(`${this.name}: input has ${x.cols} columns, expected ${C}x${H}x${W} = ${C * H * W}`);
    this.x = x;
    const p = this.pool.shape;
    this.pooled = ensureShape(this.kernels, this.pooled, x.rows, (p.C * p.H * p.W) / 4);
    if (this.argmax === null || this.argmax.length !== this.pooled.data.length) this.argmax = this.kernels.allocInt32(this.pooled.data.length);
    this.kernels.convReluPoolForward(this.pooled, this.argmax, x, this.conv.W, this.conv.b, this.conv.shape, p);
    return this.pooled;
  }

  backward(dpooled: Matrix): Matrix {
    if (this.x === null || this.pooled === null || this.argmax === null) throw new Error(`${this.name}: backward called before forward`);
    this.kernels.convReluPoolBackward(this.grads.W, this.grads.b, dpooled, this.pooled, this.argmax, this.x, this.conv.W, this.conv.shape, this.pool.shape);
    this.dx = ensureShape(this.kernels, this.dx, this.x.rows, this.x.cols);
    return this.dx;
  }
}
