import { forwardOp } from '../kernels/forward.js';
import type { Kernels, MatrixOrImages } from '../kernels/kernels.js';
import type { Matrix } from '../tensor/matrix.js';
import { ensureShape, type Layer } from './layer.js';

/** The book's 10e-7 (= 1e-6) under the square root. */
export const BATCHNORM_EPS = 1e-6;

/**
 * Batch Normalization (book section 6.3, common/layers.py) over the columns of a (N, D) batch.
 *
 * Training (the book's train_flg): each column is normalized by this batch's mean and
 * variance, then scaled by gamma and shifted by beta (both learned), and the running mean and
 * variance move toward the batch's: running = momentum * running + (1 - momentum) * batch.
 * Inference: the running statistics replace the batch's (the op, so every backend evaluates
 * it the same way).
 *
 * gamma and beta are the layer's params (the network names them gamma1, beta1, ...); the
 * running statistics are not learned but belong to the trained model and are saved with it.
 */
export class BatchNormalization implements Layer {
  readonly op: { readonly kind: 'batchnorm'; readonly gamma: Matrix; readonly beta: Matrix; readonly runningMean: Matrix; readonly runningVar: Matrix; readonly eps: number };
  readonly params: { gamma: Matrix; beta: Matrix };
  readonly grads: { gamma: Matrix; beta: Matrix };
  /** Carried from step to step and saved by checkpoints: the running statistics. */
  readonly state: { runningMean: Matrix; runningVar: Matrix };

  private xc: Matrix | null = null; // xc: (N, D), x - batch mean
  private xn: Matrix | null = null; // xn: (N, D), xc / std
  private readonly std: Float64Array; // std: (D), sqrt(batch var + eps)
  private out: Matrix | null = null; // out: (N, D)
  private dx: Matrix | null = null; // dx: (N, D)

  constructor(
    private readonly kernels: Kernels,
    gamma: Matrix, // gamma: (1, D), starts at 1
    beta: Matrix, // beta: (1, D), starts at 0
    readonly runningMean: Matrix, // runningMean: (1, D), starts at 0
    readonly runningVar: Matrix, // runningVar: (1, D), starts at 0 (as the book's)
    readonly momentum = 0.9,
    readonly name = 'BatchNorm',
  ) {
    const D = gamma.cols;
    for (const m of [gamma, beta, runningMean, runningVar]) {
      if (m.rows !== 1 || m.cols !== D) throw new RangeError(`${name}: gamma, beta and the running statistics must all be (1, ${D})`);
    }
    this.params = { gamma, beta };
    this.grads = { gamma: kernels.alloc(1, D), beta: kernels.alloc(1, D) }; // dgamma, dbeta: (1, D)
    this.std = new Float64Array(D);
    this.state = { runningMean, runningVar };
    this.op = { kind: 'batchnorm', gamma, beta, runningMean, runningVar, eps: BATCHNORM_EPS };
  }

  forward(input: MatrixOrImages, train = false): Matrix {
    const x = this.kernels.denseImages(input);
    this.out = ensureShape(this.kernels, this.out, x.rows, x.cols);
    if (!train) {
      forwardOp(this.kernels, this.op, this.out, x);
      return this.out;
    }
    const N = x.rows, D = x.cols;
    this.xc = ensureShape(this.kernels, this.xc, N, D);
    this.xn = ensureShape(this.kernels, this.xn, N, D);
    const xs = x.data, xc = this.xc.data, xn = this.xn.data, out = this.out.data;
    const gamma = this.params.gamma.data, beta = this.params.beta.data;
    const rm = this.runningMean.data, rv = this.runningVar.data, m = this.momentum;
    for (let j = 0; j < D; j++) {
      let mu = 0;
      for (let i = j; i < xs.length; i += D) mu += xs[i];
      mu /= N;
      let variance = 0;
      for (let i = j; i < xs.length; i += D) {
        xc[i] = xs[i] - mu;
        variance += xc[i] * xc[i];
      }
      variance /= N;
      const std = Math.sqrt(variance + BATCHNORM_EPS);
      this.std[j] = std;
      for (let i = j; i < xs.length; i += D) {
        xn[i] = xc[i] / std;
        out[i] = gamma[j] * xn[i] + beta[j];
      }
      rm[j] = m * rm[j] + (1 - m) * mu;
      rv[j] = m * rv[j] + (1 - m) * variance;
    }
    return this.out;
  }

  /**
   * The book's backward through the batch statistics (training mode only):
   *   dbeta = Σ dout, dgamma = Σ xn * dout, dxn = gamma * dout,
   *   dxc = dxn / std + (2 / N) * xc * dvar, with dvar = -0.5 * Σ (dxn * xc) / std^3,
   *   dx = dxc - Σ dxc / N.
   */
  backward(dout: Matrix): Matrix {
    if (this.xc === null || this.xn === null) throw new Error(`${this.name}: backward called before a training forward`);
    const N = dout.rows, D = dout.cols;
    this.dx = ensureShape(this.kernels, this.dx, N, D);
    const d = dout.data, xc = this.xc.data, xn = this.xn.data, dx = this.dx.data;
    const gamma = this.params.gamma.data, dgamma = this.grads.gamma.data, dbeta = this.grads.beta.data;
    for (let j = 0; j < D; j++) {
      const std = this.std[j];
      let sumDout = 0, sumXnDout = 0, sumDxnXc = 0;
      for (let i = j; i < d.length; i += D) {
        sumDout += d[i];
        sumXnDout += xn[i] * d[i];
        sumDxnXc += gamma[j] * d[i] * xc[i];
      }
      dbeta[j] = sumDout;
      dgamma[j] = sumXnDout;
      const dvar = (-0.5 * sumDxnXc) / (std * std * std);
      let sumDxc = 0;
      for (let i = j; i < d.length; i += D) {
        dx[i] = (gamma[j] * d[i]) / std + (2 / N) * xc[i] * dvar;
        sumDxc += dx[i];
      }
      const dmu = sumDxc / N;
      for (let i = j; i < d.length; i += D) dx[i] -= dmu;
    }
    return this.dx;
  }
}
