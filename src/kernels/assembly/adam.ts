// Adam's update in one pass (AssemblyScript, f32x4), float32: a convnet's largest weight
// (SimpleConvNet's 4320 x 100 Affine) makes five separate passes over four arrays cost
// more than the layer's products. Elementwise, so any split of [i0, i1) over threads gives
// the same numbers.

// Lanes 0-1 and 2-3 of a f32x4 as doubles, and two f64x2 back as one f32x4 (each rounded
// to float32 as a scalar store rounds it).
@inline function lowF64(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}
@inline function highF64(v: v128): v128 {
  return f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 2, 3));
}
@inline function toF32(lo: v128, hi: v128): v128 {
  return i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

/**
 * Adam's step as the plain kernels make it in five passes (scale, axpy, scale, addSquare,
 * adaptiveStep), in one pass and with the same numbers: the scalings, the squares' sum and
 * the step in doubles rounded to float32 at each store, as JavaScript does over a
 * Float32Array; m's axpy in float32 with alpha in float32 (c1), as the axpy kernel does.
 * Four elements at a time, their doubles two to a vector (the same IEEE operations lane by
 * lane: the square root and the division, a scalar loop's cost, go two at a time).
 * Elements [i0, i1).
 */
export function adamStepExact(p: usize, m: usize, v: usize, g: usize, i0: i32, i1: i32, beta1: f64, c1: f32, beta2: f64, c2: f64, lrT: f64, eps: f64): void {
  const B1 = f64x2.splat(beta1), C1 = f32x4.splat(c1), B2 = f64x2.splat(beta2), C2 = f64x2.splat(c2);
  const LR = f64x2.splat(lrT), E = f64x2.splat(eps);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    const gi = v128.load(g + o), m0 = v128.load(m + o), v0 = v128.load(v + o), p0 = v128.load(p + o);
    const mi = f32x4.add(toF32(f64x2.mul(lowF64(m0), B1), f64x2.mul(highF64(m0), B1)), f32x4.mul(C1, gi));
    const vb = toF32(f64x2.mul(lowF64(v0), B2), f64x2.mul(highF64(v0), B2));
    const gl = lowF64(gi), gh = highF64(gi);
    const vi = toF32(f64x2.add(lowF64(vb), f64x2.mul(f64x2.mul(C2, gl), gl)), f64x2.add(highF64(vb), f64x2.mul(f64x2.mul(C2, gh), gh)));
    const pl = f64x2.sub(lowF64(p0), f64x2.div(f64x2.mul(LR, lowF64(mi)), f64x2.add(f64x2.sqrt(lowF64(vi)), E)));
    const ph = f64x2.sub(highF64(p0), f64x2.div(f64x2.mul(LR, highF64(mi)), f64x2.add(f64x2.sqrt(highF64(vi)), E)));
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    v128.store(p + o, toF32(pl, ph));
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    const mi: f32 = <f32>(<f64>load<f32>(m + o) * beta1) + c1 * gi;
    const gd = <f64>gi;
    const vi = <f32>(<f64>(<f32>(<f64>load<f32>(v + o) * beta2)) + c2 * gd * gd);
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(p + o, <f32>(<f64>load<f32>(p + o) - (lrT * <f64>mi) / (Math.sqrt(<f64>vi) + eps)));
  }
}

/**
 * For elements [i0, i1) of the parameter p, its gradient g and the moments m, v:
 *   m = beta1 * m + (1 - beta1) * g
 *   v = beta2 * v + (1 - beta2) * g * g
 *   p = p - lrT * m / (sqrt(v) + eps)
 * (lrT: the rate with the book's bias correction folded in), each operation rounded to
 * float32 in that order.
 */
export function adamUpdate(p: usize, m: usize, v: usize, g: usize, i0: i32, i1: i32, beta1: f32, beta2: f32, lrT: f32, eps: f32): void {
  const b1 = f32x4.splat(beta1), c1 = f32x4.splat(1 - beta1);
  const b2 = f32x4.splat(beta2), c2 = f32x4.splat(1 - beta2);
  const lr = f32x4.splat(lrT), e = f32x4.splat(eps);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    const gi = v128.load(g + o);
    const mi = f32x4.add(f32x4.mul(b1, v128.load(m + o)), f32x4.mul(c1, gi));
    const vi = f32x4.add(f32x4.mul(b2, v128.load(v + o)), f32x4.mul(f32x4.mul(c2, gi), gi));
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    v128.store(p + o, f32x4.sub(v128.load(p + o), f32x4.div(f32x4.mul(lr, mi), f32x4.add(f32x4.sqrt(vi), e))));
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    const mi = beta1 * load<f32>(m + o) + (1 - beta1) * gi;
    const vi = beta2 * load<f32>(v + o) + (1 - beta2) * gi * gi;
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(p + o, load<f32>(p + o) - (lrT * mi) / (Mathf.sqrt(vi) + eps));
  }
}
