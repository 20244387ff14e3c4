/**
 * The repeat node (book section 5.6.2, the bias of Affine): forward copies a vector x (D)
 * into each of N rows (N, D); backward sums the N rows of dout back into one vector.
 * This is why a broadcast in the forward pass is a sum over axis 0 in the backward pass.
 */
export class RepeatSumNode {
  constructor(readonly repeats: number) {}

  forward(x: ArrayLike<number>): Float64Array {
    const D = x.length;
    const y = new Float64Array(this.repeats * D); // y: (N, D)
    for (let i = 0; i < this.repeats; i++) for (let j = 0; j < D; j++) y[i * D + j] = x[j];
    return y;
  }

  backward(dout: ArrayLike<number>): Float64Array {
    const D = dout.length / this.repeats;
    const dx = new Float64Array(D); // dx: (D)
    for (let i = 0; i < this.repeats; i++) for (let j = 0; j < D; j++) dx[j] += dout[i * D + j];
    return dx;
  }
}
