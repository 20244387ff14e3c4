/**
 * The multiply node of the computational graph (book section 5.4.1), on scalars.
 * Backward swaps the inputs: d(xy)/dx = y, d(xy)/dy = x.
 */
export class MulLayer {
  private x = 0;
  private y = 0;

  forward(x: number, y: number): number {
    this.x = x;
    this.y = y;
    return x * y;
  }

  backward(dout: number): [dx: number, dy: number] {
    return [dout * this.y, dout * this.x];
  }
}
