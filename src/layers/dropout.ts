import { forwardOp } from '../kernels/forward.js';
import type { Kernels, MatrixOrImages } from '../kernels/kernels.js';
import type { Matrix } from '../tensor/matrix.js';
import type { Rng } from '../tensor/rng.js';
import { ensureShape, type Layer } from './layer.js';

/**
 * Dropout (book section 6.4.3, common/layers.py), with the book's scaling convention: while
 * training, each unit is kept where a fresh uniform draw exceeds `ratio` and zeroed elsewhere;
 * at inference every unit passes, scaled by (1 - ratio), the fraction that was kept on average.
 * (The "inverted" form scales while training instead; the book's keeps its figures comparable.)
 * Backward lets dout through the same mask.
 *
 * The mask is drawn from the run's Rng, after the step's batch, so a run is the same for the
 * same seed. `holdMask` keeps the last mask instead of drawing a new one: the gradient check
 * differentiates one fixed function.
 */
export class Dropout implements Layer {
  readonly op: { readonly kind: 'dropout'; readonly ratio: number };
  holdMask = false;

  private mask: Matrix | null = null; // mask: (N, D), 1 where kept, 0 where dropped
  private out: Matrix | null = null; // out: (N, D)
  private dx: Matrix | null = null; // dx: (N, D)

  constructor(
    private readonly kernels: Kernels,
    private readonly rng: Rng,
    readonly ratio: number,
    readonly name = 'Dropout',
  ) {
    if (!(ratio >= 0 && ratio < 1)) throw new RangeError(`${name}: ratio must be in [0, 1), got ${ratio}`);
    this.op = { kind: 'dropout', ratio };
  }

  forward(input: MatrixOrImages, train = false): Matrix {
    const x = this.kernels.denseImages(input);
    this.out = ensureShape(this.kernels, this.out, x.rows, x.cols);
    if (!train) {
      forwardOp(this.kernels, this.op, this.out, x);
      return this.out;
    }
    const fresh = this.mask === null || this.mask.rows !== x.rows || this.mask.cols !== x.cols;
    this.mask = ensureShape(this.kernels, this.mask, x.rows, x.cols);
    if (fresh || !this.holdMask) {
      const m = this.mask.data;
      for (let i = 0; i < m.length; i++) m[i] = this.rng.uniform() > this.ratio ? 1 : 0;
    }
    const out = this.out.data, xs = x.data, m = this.mask.data;
    for (let i = 0; i < out.length; i++) out[i] = xs[i] * m[i];
    return this.out;
  }

  backward(dout: Matrix): Matrix {
    if (this.mask === null) throw new Error(`${this.name}: backward called before a training forward`);
    this.dx = ensureShape(this.kernels, this.dx, dout.rows, dout.cols);
    const dx = this.dx.data, d = dout.data, m = this.mask.data;
    for (let i = 0; i < dx.length; i++) dx[i] = d[i] * m[i];
    return this.dx;
  }
}
