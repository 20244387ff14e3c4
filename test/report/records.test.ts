import { describe, expect, it } from 'vitest';
import { toJsonLine } from '../../src/report/records.js';

describe('NDJSON lines', () => {
  it('turn NaN and unset values into null, keeping every key', () => {
    expect(toJsonLine({ type: 'summary', finalTestAcc: NaN, plot: undefined, loss: 0.5 })).toBe(
      '{"type":"summary","finalTestAcc":null,"plot":null,"loss":0.5}',
    );
  });
});
