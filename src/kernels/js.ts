import type { ImageSet } from '../data/dataset.js';
import { assertShape, isMatrix, type DType, type FloatArray } from '../tensor/matrix.js';
import { checkForwardOps } from './forward.js';
import { ImageBatch, isImageBatch, type MatrixOrImages } from './image-batch.js';
import { countCorrectRange } from './images.js';
import type { ImageSource, Kernels } from './kernels.js';
import { referenceKernels } from './reference.js';
import { countNonzeros, fillPixelLists, type PixelLists } from './sparse-images.js';

interface JsImageSource extends ImageSource {
  readonly lists: PixelLists;
}

/**
 * Plain-JavaScript kernels, float32 or float64, that give the reference's numbers bit for bit
 * (same sums in the same order, accumulated in doubles) faster: the products run row by row
 * over contiguous memory (i-k-j order), and a first layer fed by gatherImages walks each
 * image's nonzero pixels only. The float64 path of the trainer, and the fallback where
 * WebAssembly SIMD is missing.
 */
export function jsKernels(dtype: DType = 'float64'): Kernels {
  const ref = referenceKernels(dtype);
  const newArray = (n: number): FloatArray => (dtype === 'float32' ? new Float32Array(n) : new Float64Array(n));
  const sources = new WeakMap<ImageSet, JsImageSource>();
  let acc = new Float64Array(0); // a double accumulator, grown to the largest output seen

  /** A batch's pixel lists when the batch points at a set this backend prepared, else null. */
  function listsOf(x: MatrixOrImages): { batch: ImageBatch; lists: PixelLists } | null {
    if (!isImageBatch(x) || x.source === null || sources.get(x.source.set) !== x.source) return null;
    return { batch: x, lists: (x.source as JsImageSource).lists };
  }

  function accumulator(n: number): Float64Array {
    if (acc.length < n) acc = new Float64Array(n);
    acc.fill(0, 0, n);
    return acc;
  }

  const kernels: Kernels = {
    ...ref,
    name: `js-${dtype}`,

    matmul(out, x, b) {
      const N = x.rows, D = x.cols, H = b.cols;
      assertShape('matmul b', b, D, H);
      assertShape('matmul out', out, N, H);
      const s = accumulator(H); // s: (H), one row of out in doubles
      const sparse = listsOf(x);
      if (sparse !== null) {
        const { starts, cols, vals } = sparse.lists;
        for (let i = 0; i < N; i++) {
          s.fill(0, 0, H);
          const img = sparse.batch.indices[i];
          for (let e = starts[img], end = starts[img + 1]; e < end; e++) {
            const v = vals[e];
            for (let j = 0, w = cols[e] * H; j < H; j++) s[j] += v * b.data[w + j];
          }
          for (let j = 0; j < H; j++) out.data[i * H + j] = s[j];
        }
        return;
      }
      const ad = this.denseImages(x).data, bd = b.data, od = out.data;
      for (let i = 0; i < N; i++) {
        s.fill(0, 0, H);
        for (let k = 0; k < D; k++) {
          const v = ad[i * D + k];
          if (v === 0) continue; // exact: adds nothing
          for (let j = 0, w = k * H; j < H; j++) s[j] += v * bd[w + j];
        }
        for (let j = 0; j < H; j++) od[i * H + j] = s[j];
      }
    },

    affineForward(out, x, W, b) {
      this.matmul(out, x, W);
      assertShape('bias', b, 1, out.cols);
      const od = out.data, bd = b.data, H = out.cols;
      for (let i = 0; i < out.rows; i++) for (let j = 0; j < H; j++) od[i * H + j] += bd[j];
    },

    matmulTransA(dW, x, dout) {
      const N = x.rows, D = x.cols, H = dout.cols;
      assertShape('matmulTransA dout', dout, N, H);
      assertShape('matmulTransA dW', dW, D, H);
      const s = accumulator(D * H); // s: (D, H) in doubles, summed over the batch in row order
      const dd = dout.data;
      const sparse = listsOf(x);
      if (sparse !== null) {
        const { starts, cols, vals } = sparse.lists;
        for (let i = 0; i < N; i++) {
          const img = sparse.batch.indices[i];
          for (let e = starts[img], end = starts[img + 1]; e < end; e++) {
            const v = vals[e];
            for (let j = 0, w = cols[e] * H; j < H; j++) s[w + j] += v * dd[i * H + j];
          }
        }
      } else {
        const xd = this.denseImages(x).data;
        for (let i = 0; i < N; i++) {
          for (let k = 0; k < D; k++) {
            const v = xd[i * D + k];
            if (v === 0) continue;
            for (let j = 0, w = k * H; j < H; j++) s[w + j] += v * dd[i * H + j];
          }
        }
      }
      const wd = dW.data;
      for (let p = 0; p < D * H; p++) wd[p] = s[p];
    },

    // The softmax-with-loss kernels as the reference computes them (the same formulas in the
    // same order, so the same numbers), without its per-element helper calls: each exp is
    // taken once and kept, and class-index targets are read directly.

    softmax(out, x) {
      const N = x.rows, C = x.cols;
      assertShape('softmax out', out, N, C);
      const e = accumulator(C); // e: (C), one row's exp(x - max) in doubles
      const xd = x.data, od = out.data;
      for (let i = 0; i < N; i++) {
        const r = i * C;
        let max = -Infinity;
        for (let j = 0; j < C; j++) max = Math.max(max, xd[r + j]);
        let sum = 0;
        for (let j = 0; j < C; j++) sum += e[j] = Math.exp(xd[r + j] - max);
        for (let j = 0; j < C; j++) od[r + j] = e[j] / sum;
      }
    },

    crossEntropy(y, t) {
      if (isMatrix(t)) return ref.crossEntropy(y, t);
      const N = y.rows, C = y.cols, yd = y.data;
      let sum = 0;
      for (let i = 0; i < N; i++) sum += Math.log(yd[i * C + t[i]] + 1e-7);
      return -sum / N;
    },

    softmaxCrossEntropyBackward(dx, y, t) {
      if (isMatrix(t)) return ref.softmaxCrossEntropyBackward(dx, y, t);
      const N = y.rows, C = y.cols;
      assertShape('softmaxCrossEntropyBackward dx', dx, N, C);
      const yd = y.data, dd = dx.data;
      for (let i = 0; i < N; i++) {
        const r = i * C, ti = t[i];
        for (let j = 0; j < C; j++) dd[r + j] = (yd[r + j] - (ti === j ? 1 : 0)) / N;
      }
    },

    countCorrect(y, t) {
      if (isMatrix(t)) return ref.countCorrect(y, t);
      const C = y.cols, yd = y.data;
      let correct = 0;
      for (let i = 0; i < y.rows; i++) {
        const r = i * C;
        let best = 0;
        for (let j = 1; j < C; j++) if (yd[r + j] > yd[r + best]) best = j;
        if (best === t[i]) correct++;
      }
      return correct;
    },

    loadImages(set) {
      let source = sources.get(set);
      if (source === undefined) {
        const nnz = countNonzeros(set);
        const lists = { starts: new Int32Array(set.count + 1), cols: new Uint16Array(nnz), vals: newArray(nnz) };
        fillPixelLists(set, lists);
        source = { set, lists };
        sources.set(set, source);
      }
      return source;
    },

    // A batch's rows are pointed at this backend's own source, whose lists the products walk.
    gatherImages(x, images, indices) {
      ref.gatherImages(x, this.loadImages(images.set), indices);
    },

    sliceImages(x, images, start) {
      ref.sliceImages(x, this.loadImages(images.set), start);
    },

    countCorrectImages(ops, images) {
      checkForwardOps(ops, images.set.rows * images.set.cols);
      return countCorrectRange(this, ops, images, 0, images.set.count);
    },

    startCountCorrectImages() {
      return null; // one thread
    },
  };
  return kernels;
}

