import { describe, expect, it } from 'vitest';
import { thousands } from '../../src/report/thousands.js';

describe('thousands', () => {
  it("writes integers as toLocaleString('en-US') does", () => {
    const values = [0, 1, -1, 7, 12, 999, 1000, -1000, 1360, 10000, 60000, 99999, 100000, 123456, 999999, 1000000, 145053, -9876543, 2 ** 31, -0, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];
    for (let d = 1, v = 1; d <= 16; d++, v = v * 10 + (d % 10)) values.push(v, -v);
    for (const v of values) expect(thousands(v), String(v)).toBe(v.toLocaleString('en-US'));
  });

  it('hands non-integers to toLocaleString', () => {
    for (const v of [0.5, 1234.5678, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) expect(thousands(v)).toBe(v.toLocaleString('en-US'));
  });
});
