/**
 * The "/" node of the Softmax-with-Loss graph (book appendix A): y = 1/x, elementwise.
 * dy/dx = -1/x^2 = -y^2, so backward needs only the output.
 */
export class InverseNode {
  private y: Float64Array = new Float64Array(0);

  forward(x: ArrayLike<number>): Float64Array {
    this.y = Float64Array.from(x, (v) => 1 / v);
    return this.y;
  }

  backward(dout: ArrayLike<number>): Float64Array {
    return Float64Array.from(this.y, (y, i) => -dout[i] * y * y);
  }
}
