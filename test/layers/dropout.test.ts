import { describe, expect, it } from 'vitest';
import { Dropout } from '../../src/layers/dropout.js';
import { Rng } from '../../src/tensor/rng.js';
import { kernels64, maxGradientError, randomMatrix } from '../support/gradient-check.js';

describe('Dropout', () => {
  it('in training drops about `ratio` of the units, keeps the rest as they are, and draws a fresh mask each step', () => {
    const layer = new Dropout(kernels64, new Rng(7), 0.3);
    const x = randomMatrix(new Rng(1), 50, 40);
    const first = Array.from(layer.forward(x, true).data);
    const dropped = first.filter((v) => v === 0).length / first.length;
    expect(dropped).toBeGreaterThan(0.25);
    expect(dropped).toBeLessThan(0.35);
    first.forEach((v, i) => expect(v === 0 || v === x.data[i]).toBe(true));
    const second = Array.from(layer.forward(x, true).data);
    expect(second).not.toEqual(first);
  });

  it('at inference passes every unit scaled by (1 - ratio), with no mask', () => {
    const layer = new Dropout(kernels64, new Rng(7), 0.5);
    const x = randomMatrix(new Rng(1), 3, 4);
    const y = layer.forward(x);
    expect(Array.from(y.data)).toEqual(Array.from(x.data, (v) => v * 0.5));
    expect(layer.op).toEqual({ kind: 'dropout', ratio: 0.5 });
  });

  it('backward routes dout through the training mask', () => {
    const layer = new Dropout(kernels64, new Rng(3), 0.5);
    const x = randomMatrix(new Rng(2), 4, 5);
    const y = layer.forward(x, true);
    const dout = randomMatrix(new Rng(4), 4, 5);
    const dx = layer.backward(dout);
    for (let i = 0; i < dx.data.length; i++) expect(dx.data[i] === (y.data[i] === 0 ? 0 : dout.data[i])).toBe(true);
  });

  it('backward matches a numerical gradient while the mask is held', () => {
    const layer = new Dropout(kernels64, new Rng(5), 0.4);
    layer.holdMask = true;
    expect(maxGradientError(layer, randomMatrix(new Rng(6), 4, 7), 1, true)).toBeLessThan(1e-8);
  });

  it('refuses a ratio outside [0, 1)', () => {
    expect(() => new Dropout(kernels64, new Rng(1), 1)).toThrow(/ratio must be in \[0, 1\), got 1/);
    expect(() => new Dropout(kernels64, new Rng(1), -0.1)).toThrow(/got -0.1/);
  });
});
