import type { FloatArray } from '../tensor/matrix.js';

/**
 * Reference kernels for the book's convolution and max-pooling layers (section 7.4), as the
 * plainest loops over flat arrays with every size passed in. They are the oracle the fast
 * kernels are tested against and what the gradient check differentiates (in float64);
 * sums run in JavaScript doubles and are stored in the array's own type.
 *
 * Layout: NCHW. A batch of N images of C channels, H x W pixels is a row-major (N, C*H*W)
 * matrix; filters W are (FN, C*FH*FW), i.e. (filters, channels, height, width) flattened,
 * as the book and PyTorch store them.
 */

/** The sizes of one convolution (or pooling window) over a batch. */
export interface ConvShape {
  N: number; // images
  C: number; // input channels
  H: number; // input height
  W: number; // input width
  FH: number; // filter (window) height
  FW: number; // filter (window) width
  stride: number;
  pad: number;
}

/** OH, OW = (H + 2*pad - FH) / stride + 1, checked to be whole and positive. */
export function convOutputSize(s: ConvShape): { OH: number; OW: number } {
  for (const [name, v] of Object.entries(s)) {
    if (!Number.isInteger(v)) throw new RangeError(`conv: ${name} must be an integer, got ${v}`);
  }
  if (s.N < 0) throw new RangeError(`conv: N must be >= 0, got ${s.N}`);
  for (const name of ['C', 'H', 'W', 'FH', 'FW', 'stride'] as const) {
    if (s[name] < 1) throw new RangeError(`conv: ${name} must be >= 1, got ${s[name]}`);
  }
  if (s.pad < 0) throw new RangeError(`conv: pad must be >= 0, got ${s.pad}`);
  const side = (name: string, size: number, f: number): number => {
    const span = size + 2 * s.pad - f;
    if (span < 0) throw new RangeError(`conv: the ${f}-wide window does not fit the padded ${name} ${size} + 2*${s.pad}`);
    if (span % s.stride !== 0) {
      throw new RangeError(`conv: (${name} ${size} + 2*pad ${s.pad} - ${f}) = ${span} is not a multiple of stride ${s.stride}`);
    }
    return span / s.stride + 1;
  };
  return { OH: side('height', s.H, s.FH), OW: side('width', s.W, s.FW) };
}

function expectLength(what: string, a: ArrayLike<number>, n: number): void {
  if (a.length !== n) throw new RangeError(`${what}: expected ${n} values, got ${a.length}`);
}

/**
 * Calls visit(colIndex, xIndex) for every entry of the book's col (N*OH*OW, C*FH*FW): row
 * (n, oh, ow), column (c, i, j), and the index in x (N, C*H*W) of the pixel that entry sees,
 * or -1 where the window hangs over the padding. Both im2col and col2im are this walk.
 */
function forEachWindowEntry(s: ConvShape, visit: (colIndex: number, xIndex: number) => void): void {
  const { N, C, H, W, FH, FW, stride, pad } = s;
  const { OH, OW } = convOutputSize(s);
  const K = C * FH * FW;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const row = ((n * OH + oh) * OW + ow) * K;
        for (let c = 0; c < C; c++) {
          for (let i = 0; i < FH; i++) {
            const y = oh * stride - pad + i;
            for (let j = 0; j < FW; j++) {
              const xx = ow * stride - pad + j;
              const inside = y >= 0 && y < H && xx >= 0 && xx < W;
              visit(row + (c * FH + i) * FW + j, inside ? ((n * C + c) * H + y) * W + xx : -1);
            }
          }
        }
      }
    }
  }
}

/** The number of entries of col (N*OH*OW, C*FH*FW), checking the shape. */
function colLength(s: ConvShape): number {
  const { OH, OW } = convOutputSize(s);
  return s.N * OH * OW * s.C * s.FH * s.FW;
}

/**
 * The book's im2col (common/util.py): col (N*OH*OW, C*FH*FW), one row per output position
 * (n, oh, ow), holding the window it sees, channel by channel, zero where it hangs over the
 * padding.
 */
export function im2col(col: FloatArray, x: ArrayLike<number>, s: ConvShape): void {
  expectLength('im2col col (N*OH*OW, C*FH*FW)', col, colLength(s));
  expectLength('im2col x (N, C*H*W)', x, s.N * s.C * s.H * s.W);
  forEachWindowEntry(s, (e, at) => {
    col[e] = at >= 0 ? x[at] : 0;
  });
}

/**
 * The book's col2im: the adjoint of im2col. dx (N, C*H*W) = the sum, over every window
 * that saw a pixel, of that window's entry in col (N*OH*OW, C*FH*FW); padding is dropped.
 */
export function col2im(dx: FloatArray, col: ArrayLike<number>, s: ConvShape): void {
  expectLength('col2im col (N*OH*OW, C*FH*FW)', col, colLength(s));
  expectLength('col2im dx (N, C*H*W)', dx, s.N * s.C * s.H * s.W);
  dx.fill(0);
  forEachWindowEntry(s, (e, at) => {
    if (at >= 0) dx[at] += col[e];
  });
}

/** The filters' shape: FN filters over the input's C channels, each FH x FW. */
export interface FilterShape extends ConvShape {
  FN: number;
}

function checkFilters(s: FilterShape): { OH: number; OW: number } {
  if (!Number.isInteger(s.FN) || s.FN < 1) throw new RangeError(`conv: FN must be an integer >= 1, got ${s.FN}`);
  return convOutputSize(s);
}

/**
 * The book's Convolution.forward: out (N, FN, OH, OW) = for each filter f and position
 * (oh, ow), the window's sum of products with W[f] (k = (c, i, j) ascending), plus b[f].
 * x: (N, C*H*W); W: (FN, C*FH*FW); b: (FN).
 */
export function convForward(out: FloatArray, x: ArrayLike<number>, W: ArrayLike<number>, b: ArrayLike<number>, s: FilterShape): void {
  const { N, C, FH, FW, FN } = s;
  const { OH, OW } = checkFilters(s);
  const K = C * FH * FW, P = OH * OW;
  expectLength('convForward W (FN, C*FH*FW)', W, FN * K);
  expectLength('convForward b (FN)', b, FN);
  expectLength('convForward out (N, FN*OH*OW)', out, N * FN * P);
  const col = new Float64Array(N * P * K); // col: (N*OH*OW, C*FH*FW)
  im2col(col, x, s);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < FN; f++) {
      for (let p = 0; p < P; p++) {
        let sum = 0;
        for (let k = 0; k < K; k++) sum += col[(n * P + p) * K + k] * W[f * K + k];
        out[(n * FN + f) * P + p] = sum + b[f];
      }
    }
  }
}

/**
 * The book's Convolution.backward: dW (FN, C*FH*FW) = sum over images and positions of
 * dout times the window; db (FN) = sum of dout; dx (N, C*H*W) = col2im(dout^T · W) when
 * asked for (the first layer's is not needed). dout: (N, FN, OH, OW).
 */
export function convBackward(
  grads: { dW: FloatArray; db: FloatArray; dx?: FloatArray },
  dout: ArrayLike<number>,
  x: ArrayLike<number>,
  W: ArrayLike<number>,
  s: FilterShape,
): void {
  const { N, C, FH, FW, FN } = s;
  const { OH, OW } = checkFilters(s);
  const K = C * FH * FW, P = OH * OW;
  expectLength('convBackward dout (N, FN*OH*OW)', dout, N * FN * P);
  expectLength('convBackward W (FN, C*FH*FW)', W, FN * K);
  expectLength('convBackward dW (FN, C*FH*FW)', grads.dW, FN * K);
  expectLength('convBackward db (FN)', grads.db, FN);
  const col = new Float64Array(N * P * K); // col: (N*OH*OW, C*FH*FW)
  im2col(col, x, s);
  for (let f = 0; f < FN; f++) {
    let db = 0;
    for (let n = 0; n < N; n++) for (let p = 0; p < P; p++) db += dout[(n * FN + f) * P + p];
    grads.db[f] = db;
    for (let k = 0; k < K; k++) {
      let sum = 0;
      for (let n = 0; n < N; n++) {
        for (let p = 0; p < P; p++) sum += dout[(n * FN + f) * P + p] * col[(n * P + p) * K + k];
      }
      grads.dW[f * K + k] = sum;
    }
  }
  if (grads.dx === undefined) return;
  const dcol = new Float64Array(N * P * K); // dcol: (N*OH*OW, C*FH*FW)
  for (let n = 0; n < N; n++) {
    for (let p = 0; p < P; p++) {
      for (let k = 0; k < K; k++) {
        let sum = 0;
        for (let f = 0; f < FN; f++) sum += dout[(n * FN + f) * P + p] * W[f * K + k];
        dcol[(n * P + p) * K + k] = sum;
      }
    }
  }
  col2im(grads.dx, dcol, s);
}

/**
 * The book's Pooling.forward (max): out (N, C, OH, OW) = the largest value in each FH x FW
 * window (padding counts as 0, as the book's im2col pads), argmax (N, C, OH, OW) = where it
 * is, as an index into the image's C*H*W values, or -1 for the padding. Ties go to the first
 * in the window (row by row), as np.argmax.
 */
export function maxPoolForward(out: FloatArray, argmax: Int32Array, x: ArrayLike<number>, s: ConvShape): void {
  const { N, C, H, W, FH, FW, stride, pad } = s;
  const { OH, OW } = convOutputSize(s);
  expectLength('maxPoolForward x (N, C*H*W)', x, N * C * H * W);
  expectLength('maxPoolForward out (N, C*OH*OW)', out, N * C * OH * OW);
  expectLength('maxPoolForward argmax (N, C*OH*OW)', argmax, N * C * OH * OW);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let best = -Infinity, at = -2;
          for (let i = 0; i < FH; i++) {
            for (let j = 0; j < FW; j++) {
              const y = oh * stride - pad + i, xx = ow * stride - pad + j;
              const inside = y >= 0 && y < H && xx >= 0 && xx < W;
              const v = inside ? x[((n * C + c) * H + y) * W + xx] : 0;
              // NaN wins, as with np.max; afterwards nothing beats it.
              if (at === -2 || v > best || (Number.isNaN(v) && !Number.isNaN(best))) {
                best = v;
                at = inside ? (c * H + y) * W + xx : -1;
              }
            }
          }
          const o = ((n * C + c) * OH + oh) * OW + ow;
          out[o] = best;
          argmax[o] = at;
        }
      }
    }
  }
}

/**
 * The book's Pooling.backward: dx (N, C*H*W) = each dout (N, C, OH, OW) routed to its
 * window's argmax (added, where windows overlap), zero elsewhere; gradients of padding drop.
 */
export function maxPoolBackward(dx: FloatArray, dout: ArrayLike<number>, argmax: Int32Array, s: ConvShape): void {
  const { N, C, H, W } = s;
  const { OH, OW } = convOutputSize(s);
  const D = C * H * W, Q = C * OH * OW;
  expectLength('maxPoolBackward dx (N, C*H*W)', dx, N * D);
  expectLength('maxPoolBackward dout (N, C*OH*OW)', dout, N * Q);
  expectLength('maxPoolBackward argmax (N, C*OH*OW)', argmax, N * Q);
  dx.fill(0);
  for (let n = 0; n < N; n++) {
    for (let q = 0; q < Q; q++) {
      const at = argmax[n * Q + q];
      if (at >= 0) dx[n * D + at] += dout[n * Q + q];
    }
  }
}
