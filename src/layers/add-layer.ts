/**
 * The add node of the computational graph (book section 5.4.2), on scalars.
 * Backward passes dout through unchanged to both inputs.
 */
export class AddLayer {
  forward(x: number, y: number): number {
    return x + y;
  }

  backward(dout: number): [dx: number, dy: number] {
    return [dout, dout];
  }
}
