import type { Matrix } from '../tensor/matrix.js';
import { batchnormForward } from './batchnorm.js';
import { convOutputSize } from './conv-reference.js';
import type { MatrixOrImages } from './image-batch.js';
import type { Kernels } from './kernels.js';
import type { Op } from './ops.js';

/**
 * The one place an op's kind picks its kernels: every generic evaluation runs a network's
 * ops through forwardOp, and sizes its buffers with opOutputCols.
 */

/** out = the op applied to x (x is the previous op's output, or the input images). */
export function forwardOp(kernels: Kernels, op: Op, out: Matrix, x: MatrixOrImages): void {
  switch (op.kind) {
    case 'affine':
      return kernels.affineForward(out, x, op.W, op.b);
    case 'relu':
      return kernels.reluForward(out, kernels.denseImages(x));
    case 'sigmoid':
      return kernels.sigmoidForward(out, kernels.denseImages(x));
    case 'dropout':
      // The book's Dropout at inference: every unit, scaled by the fraction kept in training.
      out.data.set(kernels.denseImages(x).data);
      return kernels.scale(out, 1 - op.ratio);
    case 'batchnorm':
      // Inference normalizes with the running statistics gathered in training, not the batch's.
      return batchnormForward(out, kernels.denseImages(x), op.gamma, op.beta, op.runningMean, op.runningVar, op.eps);
    case 'conv':
      return kernels.convForward(out, x, op.W, op.b, op.shape);
    case 'pool':
      return kernels.poolForward(out, null, kernels.denseImages(x), op.shape);
    default:
      return unknownOp(op);
  }
}

/** A kind of op with no case above: a compile error where the switch is, a throw if it is reached anyway. */
function unknownOp(op: never): never {
  throw new Error(`no kernel for op ${(op as { kind: string }).kind}`);
}

/** The width of the op's output for an input `cols` wide; throws if the op cannot take it. */
export function opOutputCols(op: Op, cols: number, what = 'countCorrectImages'): number {
  switch (op.kind) {
    case 'affine':
      if (op.W.rows !== cols) throw new RangeError(`${what}: an affine op takes ${op.W.rows} inputs, gets ${cols}`);
      return op.W.cols;
    case 'relu':
    case 'sigmoid':
    case 'dropout':
      return cols;
    case 'batchnorm':
      if (op.gamma.cols !== cols) throw new RangeError(`${what}: a batchnorm op takes ${op.gamma.cols} inputs, gets ${cols}`);
      return cols;
    case 'conv':
    case 'pool': {
      const { C, H, W } = op.shape;
      if (C * H * W !== cols) throw new RangeError(`${what}: a ${op.kind} op takes ${C}x${H}x${W} = ${C * H * W} inputs, gets ${cols}`);
      const { OH, OW } = convOutputSize({ N: 1, ...op.shape });
      return (op.kind === 'conv' ? op.shape.FN : C) * OH * OW;
    }
    default:
      return unknownOp(op);
  }
}

/** Throws unless the ops' widths chain from `inputCols`; returns the last op's width. */
export function checkForwardOps(ops: readonly Op[], inputCols: number): number {
  return ops.reduce((cols, op) => opOutputCols(op, cols), inputCols);
}
