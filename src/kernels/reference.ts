import { assertShape, isMatrix, type DType, type Matrix, type Target } from '../tensor/matrix.js';
import type { ImageSet } from '../data/dataset.js';
import { convBackward, convForward, maxPoolBackward, maxPoolForward } from './conv-reference.js';
import { unfusedConvReluPool } from './conv-relu-pool.js';
import { checkForwardOps } from './forward.js';
import { denseOf, ImageBatch, isImageBatch, setGatherIndices, setSliceIndices } from './image-batch.js';
import { countCorrectRange } from './images.js';
import type { ImageSource, Kernels } from './kernels.js';

/**
 * The reference kernels: the plainest loops that compute each formula, accumulating in
 * JavaScript doubles. Slow on purpose-free grounds only: they are what every faster
 * backend is tested against, and what the gradient check runs on (in float64).
 */
export function referenceKernels(dtype: DType = 'float64'): Kernels {
  const sources = new WeakMap<ImageSet, ImageSource>();
  const kernels: Kernels = {
    name: `reference-${dtype}`,
    dtype,

    alloc(rows, cols) {
      const data = dtype === 'float32' ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
      return { rows, cols, data };
    },

    matmul(out, images, b) {
      const a = this.denseImages(images);
      const N = a.rows, D = a.cols, H = b.cols;
      assertShape('matmul b', b, D, H);
      assertShape('matmul out', out, N, H);
      for (let i = 0; i < N; i++) {
        for (let j = 0; j < H; j++) {
          let s = 0;
          for (let k = 0; k < D; k++) s += a.data[i * D + k] * b.data[k * H + j];
          out.data[i * H + j] = s;
        }
      }
    },

    affineForward(out, x, W, b) {
      this.matmul(out, x, W);
      addRowVector(out, b);
    },

    matmulTransA(dW, images, dout) {
      const x = this.denseImages(images);
      const N = x.rows, D = x.cols, H = dout.cols;
      assertShape('matmulTransA dout', dout, N, H);
      assertShape('matmulTransA dW', dW, D, H);
      for (let k = 0; k < D; k++) {
        for (let j = 0; j < H; j++) {
          let s = 0;
          for (let i = 0; i < N; i++) s += x.data[i * D + k] * dout.data[i * H + j];
          dW.data[k * H + j] = s;
        }
      }
    },

    matmulTransB(dx, dout, W) {
      const N = dout.rows, H = dout.cols, D = W.rows;
      assertShape('matmulTransB W', W, D, H);
      assertShape('matmulTransB dx', dx, N, D);
      for (let i = 0; i < N; i++) {
        for (let k = 0; k < D; k++) {
          let s = 0;
          for (let j = 0; j < H; j++) s += dout.data[i * H + j] * W.data[k * H + j];
          dx.data[i * D + k] = s;
        }
      }
    },

    sumRows(db, dout) {
      const N = dout.rows, H = dout.cols;
      assertShape('sumRows db', db, 1, H);
      for (let j = 0; j < H; j++) {
        let s = 0;
        for (let i = 0; i < N; i++) s += dout.data[i * H + j];
        db.data[j] = s;
      }
    },

    reluForward(out, x) {
      assertShape('reluForward out', out, x.rows, x.cols);
      for (let i = 0; i < x.data.length; i++) out.data[i] = x.data[i] > 0 ? x.data[i] : 0;
    },

    reluBackward(dx, dout, x) {
      assertShape('reluBackward dout', dout, x.rows, x.cols);
      assertShape('reluBackward dx', dx, x.rows, x.cols);
      for (let i = 0; i < x.data.length; i++) dx.data[i] = x.data[i] > 0 ? dout.data[i] : 0;
    },

    sigmoidForward(out, x) {
      assertShape('sigmoidForward out', out, x.rows, x.cols);
      for (let i = 0; i < x.data.length; i++) out.data[i] = 1 / (1 + Math.exp(-x.data[i]));
    },

    sigmoidBackward(dx, dout, y) {
      assertShape('sigmoidBackward dout', dout, y.rows, y.cols);
      assertShape('sigmoidBackward dx', dx, y.rows, y.cols);
      for (let i = 0; i < y.data.length; i++) dx.data[i] = dout.data[i] * y.data[i] * (1 - y.data[i]);
    },

    allocInt32(n) {
      return new Int32Array(n);
    },

    convForward(out, x, W, b, shape) {
      assertShape('convForward b', b, 1, shape.FN);
      convForward(out.data, this.denseImages(x).data, W.data, b.data, { N: x.rows, ...shape });
    },

    convBackward(dx, dW, db, dout, x, W, shape) {
      assertShape('convBackward db', db, 1, shape.FN);
      const grads = dx === null ? { dW: dW.data, db: db.data } : { dW: dW.data, db: db.data, dx: dx.data };
      convBackward(grads, dout.data, this.denseImages(x).data, W.data, { N: x.rows, ...shape });
    },

    poolForward(out, argmax, x, shape) {
      maxPoolForward(out.data, argmax ?? new Int32Array(out.data.length), x.data, { N: x.rows, ...shape });
    },

    poolBackward(dx, dout, argmax, shape) {
      maxPoolBackward(dx.data, dout.data, argmax, { N: dx.rows, ...shape });
    },

    ...unfusedConvReluPool,

    softmax(out, x) {
      const N = x.rows, C = x.cols;
      assertShape('softmax out', out, N, C);
      for (let i = 0; i < N; i++) {
        let max = -Infinity;
        for (let j = 0; j < C; j++) max = Math.max(max, x.data[i * C + j]);
        let sum = 0;
        for (let j = 0; j < C; j++) sum += Math.exp(x.data[i * C + j] - max);
        for (let j = 0; j < C; j++) out.data[i * C + j] = Math.exp(x.data[i * C + j] - max) / sum;
      }
    },

    crossEntropy(y, t) {
      const N = y.rows;
      let sum = 0;
      for (let i = 0; i < N; i++) sum += Math.log(y.data[i * y.cols + targetClass(t, i, y.cols)] + 1e-7);
      return -sum / N;
    },

    softmaxCrossEntropyBackward(dx, y, t) {
      const N = y.rows, C = y.cols;
      assertShape('softmaxCrossEntropyBackward dx', dx, N, C);
      for (let i = 0; i < N; i++) {
        for (let j = 0; j < C; j++) {
          const tij = isMatrix(t) ? t.data[i * C + j] : t[i] === j ? 1 : 0;
          dx.data[i * C + j] = (y.data[i * C + j] - tij) / N;
        }
      }
    },

    countCorrect(y, t) {
      let correct = 0;
      for (let i = 0; i < y.rows; i++) {
        if (argmaxRow(y, i) === targetClass(t, i, y.cols)) correct++;
      }
      return correct;
    },

    axpy(y, alpha, x) {
      assertShape('axpy x', x, y.rows, y.cols);
      for (let i = 0; i < y.data.length; i++) y.data[i] += alpha * x.data[i];
    },

    scale(y, alpha) {
      for (let i = 0; i < y.data.length; i++) y.data[i] *= alpha;
    },

    addSquare(y, alpha, x) {
      assertShape('addSquare x', x, y.rows, y.cols);
      for (let i = 0; i < y.data.length; i++) y.data[i] += alpha * x.data[i] * x.data[i];
    },

    adaptiveStep(p, lr, m, v, eps) {
      assertShape('adaptiveStep m', m, p.rows, p.cols);
      assertShape('adaptiveStep v', v, p.rows, p.cols);
      for (let i = 0; i < p.data.length; i++) p.data[i] -= (lr * m.data[i]) / (Math.sqrt(v.data[i]) + eps);
    },

    adamStep(p, m, v, g, { beta1, beta2, lrT, eps }) {
      // `this`: the kernels object it is called on, so that a backend's own axpy, scale... run.
      this.scale(m, beta1);
      this.axpy(m, 1 - beta1, g);
      this.scale(v, beta2);
      this.addSquare(v, 1 - beta2, g);
      this.adaptiveStep(p, lrT, m, v, eps);
    },

    // Images stay uint8 in their set; a kernel that reads a batch reads its dense copy.
    loadImages(set) {
      let source = sources.get(set);
      if (source === undefined) sources.set(set, (source = { set }));
      return source;
    },

    allocImages(rows, cols) {
      return new ImageBatch(rows, cols);
    },

    gatherImages(x, images, indices) {
      setGatherIndices(x, images.set, indices);
      x.point(images);
    },

    sliceImages(x, images, start) {
      setSliceIndices(x, images.set, start);
      x.point(images);
    },

    denseImages(x) {
      return isImageBatch(x) ? denseOf(x, (rows, cols) => this.alloc(rows, cols)) : x;
    },

    countCorrectImages(ops, images) {
      checkForwardOps(ops, images.set.rows * images.set.cols);
      return countCorrectRange(this, ops, images, 0, images.set.count);
    },

    startCountCorrectImages() {
      return null; // one thread
    },

    async close() {}, // no threads
  };
  return kernels;
}

function addRowVector(out: Matrix, b: Matrix): void {
  assertShape('bias', b, 1, out.cols);
  for (let i = 0; i < out.rows; i++) {
    for (let j = 0; j < out.cols; j++) out.data[i * out.cols + j] += b.data[j];
  }
}

/** Index of the first largest entry of row i (NumPy's argmax tie rule). */
export function argmaxRow(m: Matrix, i: number): number {
  let best = 0;
  for (let j = 1; j < m.cols; j++) if (m.data[i * m.cols + j] > m.data[i * m.cols + best]) best = j;
  return best;
}

/** The class of row i: the label itself, or the argmax of a one-hot row (as the book does). */
export function targetClass(t: Target, i: number, classes: number): number {
  if (!isMatrix(t)) return t[i];
  assertShape('one-hot target', t, t.rows, classes);
  return argmaxRow(t, i);
}
