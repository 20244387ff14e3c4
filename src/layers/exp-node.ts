/**
 * The exp node (book appendix A): y = exp(x), elementwise. Its own derivative, so backward
 * is dout * y.
 */
export class ExpNode {
  private y: Float64Array = new Float64Array(0);

  forward(x: ArrayLike<number>): Float64Array {
    this.y = Float64Array.from(x, Math.exp);
    return this.y;
  }

  backward(dout: ArrayLike<number>): Float64Array {
    return Float64Array.from(this.y, (y, i) => dout[i] * y);
  }
}
