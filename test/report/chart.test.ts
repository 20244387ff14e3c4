import { describe, expect, it } from 'vitest';
import { resample, sparkChart } from '../../src/report/chart.js';
import { detectStyle } from '../../src/report/style.js';

const plain = detectStyle({ isTTY: false });

describe('terminal chart', () => {
  it('draws one sparkline per curve with its first and last values', () => {
    const out = sparkChart(
      [
        { label: 'loss', values: [2, 1, 0.5, 0.25], color: 'yellow', digits: 2 },
        { label: 'test acc', values: [0.5, 0.8, 0.9, 0.95], color: 'green', digits: 2 },
      ],
      plain,
    ).split('\n');
    expect(out[0]).toBe('loss      █▄▂▁  2.00 -> 0.25');
    expect(out[1]).toBe('test acc  ▁▆▇█  0.50 -> 0.95');
  });
  it('resamples long runs to the width by means', () => {
    expect(resample([1, 3, 5, 7], 2)).toEqual([2, 6]);
    expect(resample([1, 2], 5)).toEqual([1, 2]);
  });
});
