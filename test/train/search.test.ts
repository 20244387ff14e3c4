import { describe, expect, it } from 'vitest';
import { drawFrom, drawTrial, parseRange, rankTrials, shardIndices, subShard, type TrialResult } from '../../src/train/search.js';

const positive = { value: 0, inclusive: false };
const ranges = { lr: parseRange('1e-6:1e-2', positive), weightDecay: parseRange('1e-8:1e-4', { value: 0, inclusive: true }) };

describe('search ranges', () => {
  it('parses min:max as a log-uniform range and a plain number as fixed', () => {
    expect(parseRange('1e-6:1e-2', positive)).toMatchObject({ min: 1e-6, max: 1e-2, fixed: false });
    expect(parseRange('0.01', positive)).toMatchObject({ min: 0.01, max: 0.01, fixed: true });
    expect(parseRange('0', { value: 0, inclusive: true })).toMatchObject({ min: 0, fixed: true });
  });

  it('refuses min > max, bounds <= 0, a value below the least and words', () => {
    expect(() => parseRange('1e-2:1e-6', positive)).toThrow('range min must be <= max');
    expect(() => parseRange('0:1', positive)).toThrow('range bounds must be > 0');
    expect(() => parseRange('-1', positive)).toThrow('must be > 0');
    expect(() => parseRange('-1', { value: 0, inclusive: true })).toThrow('must be >= 0');
    expect(() => parseRange('a:b', positive)).toThrow('must be a number or a range');
    expect(() => parseRange('1:2:3', positive)).toThrow('must be a number or a range');
  });

  it('draws log-uniformly: u = 0 gives min, u = 0.5 the geometric mean', () => {
    const r = parseRange('1e-6:1e-2', positive);
    expect(drawFrom(r, 0)).toBeCloseTo(1e-6, 20);
    expect(drawFrom(r, 0.5)).toBeCloseTo(1e-4, 18);
    expect(drawFrom(parseRange('0.3', positive), 0.9)).toBe(0.3);
  });
});

describe('trials', () => {
  it("trial i's draw depends only on the search seed and i", () => {
    const a = drawTrial(42, 7, ranges);
    expect(drawTrial(42, 7, ranges)).toEqual(a);
    expect(drawTrial(43, 7, ranges)).not.toEqual(a);
    expect(drawTrial(42, 8, ranges).seed).not.toBe(a.seed);
    expect(a.lr).toBeGreaterThanOrEqual(1e-6);
    expect(a.lr).toBeLessThan(1e-2);
  });

  it('spreads the draws over the range (100 trials: both decades halves hit)', () => {
    const lrs = Array.from({ length: 100 }, (_, i) => Math.log10(drawTrial(1, i, ranges).lr));
    expect(lrs.filter((v) => v < -4).length).toBeGreaterThan(30);
    expect(lrs.filter((v) => v >= -4).length).toBeGreaterThan(30);
  });

  it('shards split the trials by index modulo N; sub-shards split a shard again', () => {
    expect(shardIndices(10, { index: 1, count: 3 })).toEqual([0, 3, 6, 9]);
    expect(shardIndices(10, { index: 3, count: 3 })).toEqual([2, 5, 8]);
    const shard = { index: 2, count: 3 };
    const parts = [1, 2].map((p) => shardIndices(10, subShard(shard, p, 2)));
    expect(parts).toEqual([[1, 7], [4]]);
    expect([...parts[0], ...parts[1]].sort((a, b) => a - b)).toEqual(shardIndices(10, shard));
  });

  it('ranks by validation accuracy, ties by index, NaN last, repeats once', () => {
    const t = (index: number, valAcc: number): TrialResult => ({ index, seed: 0, lr: 1, weightDecay: 0, valAcc, trainAcc: 0, curve: [] });
    const ranked = rankTrials([t(3, 0.5), t(1, NaN), t(0, 0.7), t(2, 0.5), t(0, 0.7)]);
    expect(ranked.map((r) => r.index)).toEqual([0, 2, 3, 1]);
  });
});
