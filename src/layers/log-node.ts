/**
 * The log node of the cross-entropy graph (book appendix A): y = log(x), elementwise;
 * backward is dout / x, so it keeps the input.
 */
export class LogNode {
  private x: Float64Array = new Float64Array(0);

  forward(x: ArrayLike<number>): Float64Array {
    this.x = Float64Array.from(x);
    return this.x.map(Math.log);
  }

  backward(dout: ArrayLike<number>): Float64Array {
    return Float64Array.from(this.x, (x, i) => dout[i] / x);
  }
}
