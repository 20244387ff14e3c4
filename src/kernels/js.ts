import type { ImageSet } from '../data/dataset.js';
import { assertShape, isMatrix, type DType, type FloatArray } from '../tensor/matrix.js';
import { checkForwardOps, checkImagesShape, checkSliceRange, countCorrectRange } from './images.js';
import type { ImageSource, Kernels } from './kernels.js';
import { referenceKernels } from './reference.js';
import { checkGatherIndices, countNonzeros, fillPixelLists, ImageRows, type PixelLists } from './sparse-images.js';

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

  function accumulator(n: number): Float64Array {
    if (acc.length < n) acc = new Float64Array(n);
    acc.fill(0, 0, n);
    return acc;
  }

  const kernels: Kernels = {
    ...ref,
    name: `js-${dtype}`,

    matmul(out, a, b) {
      const N = a.rows, D = a.cols, H = b.cols;
      assertShape('matmul b', b, D, H);
      assertShape('matmul out', out, N, H);
      const s = accumulator(H); // s: (H), one row of out in doubles
      if (a instanceof ImageRows && a.source !== null) {
        const { starts, cols, vals } = (a.source as JsImageSource).lists;
        for (let i = 0; i < N; i++) {
          s.fill(0, 0, H);
          const img = a.indices[i];
          for (let e = starts[img], end = starts[img + 1]; e < end; e++) {
            const v = vals[e];
            for (let j = 0, w = cols[e] * H; j < H; j++) s[j] += v * b.data[w + j];
          }
          for (let j = 0; j < H; j++) out.data[i * H + j] = s[j];
        }
        return;
      }
      const ad = a.data, bd = b.data, od = out.data;
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
      if (x instanceof ImageRows && x.source !== null) {
        const { starts, cols, vals } = (x.source as JsImageSource).lists;
        for (let i = 0; i < N; i++) {
          const img = x.indices[i];
          for (let e = starts[img], end = starts[img + 1]; e < end; e++) {
            const v = vals[e];
            for (let j = 0, w = cols[e] * H; j < H; j++) s[w + j] += v * dd[i * H + j];
          }
        }
      } else {
        const xd = x.data;
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

    allocImages(rows, cols) {
      return new ImageRows<JsImageSource>(rows, cols, newArray);
    },

    gatherImages(x, images, indices) {
      if (!(x instanceof ImageRows)) return ref.gatherImages(x, images, indices);
      checkImagesShape('gatherImages', x, images.set, x.rows);
      checkGatherIndices(images.set, x, indices);
      x.indices.set(indices);
      x.assign(this.loadImages(images.set));
    },

    sliceImages(x, images, start) {
      if (!(x instanceof ImageRows)) return ref.sliceImages(x, images, start);
      checkImagesShape('sliceImages', x, images.set, x.rows);
      checkSliceRange(images.set, start, x.rows);
      for (let i = 0; i < x.rows; i++) x.indices[i] = start + i;
      x.assign(this.loadImages(images.set));
    },

    countCorrectImages(ops, images) {
      checkForwardOps(ops, images.set);
      return countCorrectRange(this, ops, images, 0, images.set.count);
    },

    startCountCorrectImages() {
      return null; // one thread
    },
  };
  return kernels;
}

