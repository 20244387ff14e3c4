/**
 * A small seeded random number generator, so the same seed gives the same run bit for bit
 * on every machine (Math.random cannot be seeded).
 *
 * xoshiro128** (Blackman and Vigna) for uniform 32-bit integers, seeded through splitmix32;
 * normals by Box-Muller. Weights are drawn in float64 whatever the training dtype, so
 * float32 and float64 runs start from the same numbers (rounded).
 */
export class Rng {
  // The state, s0..s3. In a typed array the 32-bit words stay unboxed: as four number fields,
  // every word above 2^31 was a new heap number (3.2 kB of garbage a training step's choice).
  private readonly s = new Uint32Array(4);
  private spareNormal: number | null = null;

  constructor(readonly seed: number) {
    let x = seed >>> 0;
    const next = () => {
      // splitmix32: spreads a small seed over the whole state.
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    for (let i = 0; i < 4; i++) this.s[i] = next();
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    return this.nextBits() >>> 0;
  }

  /**
   * The next 32 random bits, as a signed 32-bit integer: a value a call can return without
   * boxing it (an unsigned one above 2^31 is a new heap number). The array's stores keep each
   * state word to its 32 bits.
   */
  private nextBits(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9);
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextBits() >>> 5; // 27 bits
    const lo = this.nextBits() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!(n > 0 && n <= 2 ** 32)) throw new RangeError(`Rng.int: n must be in (0, 2^32], got ${n}`);
    const limit = Math.floor(2 ** 32 / n) * n;
    for (;;) {
      const r = this.nextBits() >>> 0;
      if (r < limit) return r % n;
    }
  }

  /** Standard normal N(0, 1), Box-Muller. */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /**
   * Everything the next draws depend on, as plain numbers (a checkpoint saves it): the four
   * state words and the second normal of a Box-Muller pair, if one is waiting.
   */
  getState(): RngState {
    return { s: Array.from(this.s), spareNormal: this.spareNormal };
  }

  /** Continues from a state getState() returned: the same draws follow, bit for bit. */
  setState(state: RngState): void {
    const { s, spareNormal } = state;
    if (s.length !== 4 || !s.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) throw new RangeError('Rng.setState: s must be four 32-bit unsigned integers');
    if (s.every((w) => w === 0)) throw new RangeError('Rng.setState: an all-zero state never leaves zero');
    if (spareNormal !== null && !Number.isFinite(spareNormal)) throw new RangeError('Rng.setState: spareNormal must be a finite number or null');
    this.s.set(s);
    this.spareNormal = spareNormal;
  }

  /** n indices drawn uniformly from [0, size) with replacement, like np.random.choice(size, n). */
  choice(size: number, out: Int32Array): Int32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.int(size);
    return out;
  }
}

/** An Rng's whole state (see Rng.getState). */
export interface RngState {
  s: number[]; // the four xoshiro128** words, each 0..2^32-1
  spareNormal: number | null;
}

/** x's 32 bits rotated left by k, as a signed 32-bit integer. */
function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
