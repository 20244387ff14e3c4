import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/tensor/rng.js';

describe('Rng', () => {
  it('repeats exactly for a seed and differs across seeds', () => {
    const a = new Rng(123);
    const b = new Rng(123);
    const c = new Rng(124);
    const sa = Array.from({ length: 8 }, () => a.nextUint32());
    expect(sa).toEqual(Array.from({ length: 8 }, () => b.nextUint32()));
    expect(sa).not.toEqual(Array.from({ length: 8 }, () => c.nextUint32()));
  });

  it('draws uniform integers without bias and normals with mean 0, std 1', () => {
    const rng = new Rng(5);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) counts[rng.int(10)]++;
    for (const n of counts) expect(Math.abs(n - 10_000)).toBeLessThan(500);
    let s = 0;
    let s2 = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const v = rng.normal();
      s += v;
      s2 += v * v;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.02);
    expect(Math.abs(Math.sqrt(s2 / n) - 1)).toBeLessThan(0.02);
  });

  it('choice draws indices in range, with replacement', () => {
    const out = new Rng(1).choice(3, new Int32Array(50));
    expect(out.every((v) => v >= 0 && v < 3)).toBe(true);
    expect(new Set(out).size).toBe(3);
  });

  it('rejects an empty range', () => {
    expect(() => new Rng(1).int(0)).toThrow(/n must be in/);
  });

  it('draws the same numbers as ever for seed 42 (runs stay reproducible across versions)', () => {
    const r = new Rng(42);
    expect(Array.from({ length: 6 }, () => r.nextUint32())).toEqual([2837322924, 544945897, 479756282, 3500138142, 339756180, 113173290]);
    expect(Array.from(r.choice(60000, new Int32Array(8)))).toEqual([43186, 42688, 2214, 21302, 21093, 41698, 4501, 22491]);
    expect(Array.from({ length: 3 }, () => r.normal())).toEqual([-0.7182285774061127, 0.015660349432742707, 0.6118078996839416]);
  });
});
