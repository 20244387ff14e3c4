// Small vector helpers shared by the dense and the convolution kernels.

/**
 * Stores the first n lanes of v at ptr (all 4 if n >= 4, none if n <= 0): a block's last
 * columns may be fewer than a vector's four lanes, and the floats past them belong to others.
 */
@inline export function storeLanes(ptr: usize, v: v128, n: i32): void {
  if (n >= 4) {
    v128.store(ptr, v);
  } else if (n > 0) {
    store<f32>(ptr, f32x4.extract_lane(v, 0));
    if (n > 1) store<f32>(ptr, f32x4.extract_lane(v, 1), 4);
    if (n > 2) store<f32>(ptr, f32x4.extract_lane(v, 2), 8);
  }
}

/** ReLU in every lane: v where v > 0, else 0 (NaN and -0 give 0, as the reference's v > 0 ? v : 0). */
@inline export function relu(v: v128): v128 {
  return v128.and(v, f32x4.gt(v, f32x4.splat(0)));
}
