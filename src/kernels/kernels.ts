import type { ImageSet } from '../data/dataset.js';
import type { DType, Matrix, Target } from '../tensor/matrix.js';
import type { ImageBatch, ImageSource, MatrixOrImages } from './image-batch.js';
import type { ConvOpShape, Op, PoolOpShape } from './ops.js';

export type { ConvOpShape, ForwardOp, Op, OpKind, PoolOpShape } from './ops.js';
export type { ImageBatch, ImageSource, MatrixOrImages } from './image-batch.js';

/**
 * The numeric kernels every layer is built from: one small interface, several backends.
 *
 * `reference.ts` is the readable implementation (plain loops, the oracle for the tests);
 * faster backends implement the same interface and are tested against it. Outputs come
 * first, as in llm.c; every output buffer is written, never read, unless the doc says so.
 * Shapes use the book's names: N rows in a batch, D inputs, H outputs.
 */
export interface Kernels {
  readonly name: string;
  readonly dtype: DType;

  /** A zero-filled (rows, cols) matrix owned by this backend. */
  alloc(rows: number, cols: number): Matrix;

  /** out (N,H) = a (N,D) · b (D,H); a may be a batch of images. */
  matmul(out: Matrix, a: MatrixOrImages, b: Matrix): void;
  /** out (N,H) = x (N,D) · W (D,H) + b (1,H): Affine's forward, Y = XW + B; x may be a batch of images. */
  affineForward(out: Matrix, x: MatrixOrImages, W: Matrix, b: Matrix): void;
  /** dW (D,H) = x^T (D,N) · dout (N,H): Affine's weight gradient; x may be a batch of images. */
  matmulTransA(dW: Matrix, x: MatrixOrImages, dout: Matrix): void;
  /** dx (N,D) = dout (N,H) · W^T (H,D): Affine's input gradient. */
  matmulTransB(dx: Matrix, dout: Matrix, W: Matrix): void;
  /** db (1,H) = sum over rows of dout (N,H): a broadcast forward is a sum backward. */
  sumRows(db: Matrix, dout: Matrix): void;

  /** out = max(0, x) */
  reluForward(out: Matrix, x: Matrix): void;
  /** dx = dout where x > 0, else 0 (the book's mask, x <= 0). dx may alias dout. */
  reluBackward(dx: Matrix, dout: Matrix, x: Matrix): void;
  /** out = 1 / (1 + exp(-x)) */
  sigmoidForward(out: Matrix, x: Matrix): void;
  /** dx = dout * y * (1 - y), with y the forward output. dx may alias dout. */
  sigmoidBackward(dx: Matrix, dout: Matrix, y: Matrix): void;

  /** A zero-filled int32 array owned by this backend (pooling's argmax). */
  allocInt32(n: number): Int32Array;
  /**
   * The book's Convolution.forward (section 7.4.3): out (N, FN*OH*OW) = x (N, C*H*W) convolved
   * with the filters W (FN, C*FH*FW), plus b (1, FN). x may be a batch of images (the first
   * layer's): the fast backends then skip its zero pixels.
   */
  convForward(out: Matrix, x: MatrixOrImages, W: Matrix, b: Matrix, shape: ConvOpShape): void;
  /**
   * The book's Convolution.backward: dW (FN, C*FH*FW), db (1, FN) and, unless dx is null (the
   * first layer's, which nobody reads), dx (N, C*H*W), from dout (N, FN*OH*OW).
   */
  convBackward(dx: Matrix | null, dW: Matrix, db: Matrix, dout: Matrix, x: MatrixOrImages, W: Matrix, shape: ConvOpShape): void;
  /**
   * The book's Pooling.forward (max, section 7.4.4): out (N, C*OH*OW) = each window's largest
   * value, argmax (N*C*OH*OW) = where it was (for backward; null at inference, when nobody needs it).
   */
  poolForward(out: Matrix, argmax: Int32Array | null, x: Matrix, shape: PoolOpShape): void;
  /** The book's Pooling.backward: dx (N, C*H*W) = dout (N, C*OH*OW) routed to each window's argmax. */
  poolBackward(dx: Matrix, dout: Matrix, argmax: Int32Array, shape: PoolOpShape): void;
  /**
   * Convolution -> ReLU -> Pooling as one call, for the runs ./fusion.ts accepts (stride 1,
   * 2x2 windows of stride 2): pooled (N, FN*OH/2*OW/2) and argmax exactly as convForward,
   * reluForward and poolForward give them (argmax null at inference), without the (N,
   * FN*OH*OW) activations in between.
   */
  convReluPoolForward(pooled: Matrix, argmax: Int32Array | null, x: MatrixOrImages, W: Matrix, b: Matrix, conv: ConvOpShape, pool: PoolOpShape): void;
  /**
   * Its backward for a first layer (no dx): dW (FN, C*FH*FW) and db (1, FN) exactly as
   * poolBackward, reluBackward and convBackward give them from dpooled (N, FN*OH/2*OW/2),
   * with the forward's pooled and argmax.
   */
  convReluPoolBackward(dW: Matrix, db: Matrix, dpooled: Matrix, pooled: Matrix, argmax: Int32Array, x: MatrixOrImages, W: Matrix, conv: ConvOpShape, pool: PoolOpShape): void;

  /** Row-wise softmax, shifted by the row max so exp never overflows. */
  softmax(out: Matrix, x: Matrix): void;
  /** Mean cross-entropy over rows: -Σ log(y[i, t_i] + 1e-7) / N, the book's formula. */
  crossEntropy(y: Matrix, t: Target): number;
  /** dx (N,C) = (y - t) / N: Softmax-with-Loss backward for dout = 1. */
  softmaxCrossEntropyBackward(dx: Matrix, y: Matrix, t: Target): void;
  /** How many rows of y have their largest entry at the target class (first max wins). */
  countCorrect(y: Matrix, t: Target): number;

  /** y += alpha * x, elementwise over equal shapes (the SGD update). */
  axpy(y: Matrix, alpha: number, x: Matrix): void;
  /** y *= alpha, elementwise (momentum's and Adam's decay of their running state). */
  scale(y: Matrix, alpha: number): void;
  /** y += alpha * x * x, elementwise (AdaGrad's and Adam's running sum of squared gradients). */
  addSquare(y: Matrix, alpha: number, x: Matrix): void;
  /** p -= lr * m / (sqrt(v) + eps), elementwise: the AdaGrad and Adam step (book section 6.1.5-6). */
  adaptiveStep(p: Matrix, lr: number, m: Matrix, v: Matrix, eps: number): void;
  /**
   * Adam's step for one parameter (book section 6.1.6): exactly scale(m, beta1), axpy(m,
   * 1 - beta1, g), scale(v, beta2), addSquare(v, 1 - beta2, g), adaptiveStep(p, lrT, m, v,
   * eps) in that order, as one call so that a backend can make it one pass over the arrays.
   */
  adamStep(p: Matrix, m: Matrix, v: Matrix, g: Matrix, h: { beta1: number; beta2: number; lrT: number; eps: number }): void;

  /** Prepares a set's images for gatherImages/sliceImages (cached: same set, same source). */
  loadImages(set: ImageSet): ImageSource;
  /** A batch of `rows` images of `cols` pixels for gatherImages/sliceImages to point. */
  allocImages(rows: number, cols: number): ImageBatch;
  /** x (N, pixels) = images[indices] / 255 (the book's normalize=True), N = x.rows = indices.length. */
  gatherImages(x: ImageBatch, images: ImageSource, indices: Int32Array): void;
  /** x (N, pixels) = images[start .. start + N) / 255, N = x.rows. */
  sliceImages(x: ImageBatch, images: ImageSource, start: number): void;
  /**
   * A batch's pixels / 255 as a dense (N, pixels) matrix (made again only after the batch
   * changes; read it, don't write it); a matrix is returned as it is.
   */
  denseImages(x: MatrixOrImages): Matrix;
  /**
   * How many images of the set the stack `ops` classifies as their label (argmax of the last
   * output, first max wins). Backends may split the set over threads: each image's arithmetic
   * is the same whatever the split, so the count is too.
   */
  countCorrectImages(ops: readonly Op[], images: ImageSource): number;
  /**
   * countCorrectImages on the backend's other threads, while the calling thread goes on with
   * other work; null when the backend has no threads to spare. Until the count is taken, the
   * other kernels run on the calling thread alone (with the same numbers), and the ops'
   * matrices must not change.
   */
  startCountCorrectImages(ops: readonly Op[], images: ImageSource): PendingCount | null;
  /** Ends the backend's worker threads, if it has any (the kernels then run on this thread alone); resolves once they are gone. */
  close(): Promise<void>;
}

/** A count that startCountCorrectImages left running. */
export interface PendingCount {
  /** Whether the count is done (never waits). */
  ready(): boolean;
  /** The count, once it is done (waiting for it if need be). */
  take(): number;
}
