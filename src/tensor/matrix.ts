/**
 * A 2-D row-major matrix: the one shape every kernel and layer speaks.
 *
 * Element (i, j) lives at data[i * cols + j]. Matrices are made by a kernel backend
 * (`kernels.alloc`), never with `new Float32Array` in a layer, so that a backend can hand
 * out views into its own memory (a WebAssembly heap, say) and nothing is copied per step.
 */
export type DType = 'float32' | 'float64';
export type FloatArray = Float32Array | Float64Array;

export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: FloatArray;
}

/**
 * What a loss compares its prediction with: class indices (one per row) or one-hot rows.
 * The book's SoftmaxWithLoss accepts both (section 5.6.3).
 */
export type Labels = Uint8Array | Int32Array;
export type Target = Labels | Matrix;

export function isMatrix(t: Target): t is Matrix {
  return !ArrayBuffer.isView(t);
}

/** Plain constructor for tests and small teaching examples (not for hot paths). */
export function matrixFrom(dtype: DType, rows: number, cols: number, values?: ArrayLike<number>): Matrix {
  const data = dtype === 'float32' ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
  if (values !== undefined) {
    if (values.length !== rows * cols) {
      throw new RangeError(`matrixFrom: expected ${rows * cols} values for (${rows}, ${cols}), got ${values.length}`);
    }
    data.set(values);
  }
  return { rows, cols, data };
}

export function shapeOf(m: Matrix): string {
  return `(${m.rows}, ${m.cols})`;
}

/** Throws when a kernel is handed matrices whose shapes do not chain. */
export function assertShape(what: string, m: Matrix, rows: number, cols: number): void {
  if (m.rows !== rows || m.cols !== cols) {
    throw new RangeError(`${what}: expected shape (${rows}, ${cols}), got ${shapeOf(m)}`);
  }
}
