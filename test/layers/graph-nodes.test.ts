import { describe, expect, it } from 'vitest';
import { AddLayer } from '../../src/layers/add-layer.js';
import { ExpNode } from '../../src/layers/exp-node.js';
import { InverseNode } from '../../src/layers/inverse-node.js';
import { LogNode } from '../../src/layers/log-node.js';
import { MulLayer } from '../../src/layers/mul-layer.js';
import { RepeatSumNode } from '../../src/layers/repeat-sum-node.js';

type Node = { forward(x: ArrayLike<number>): Float64Array; backward(dout: ArrayLike<number>): Float64Array };

/** Backward of an elementwise or broadcasting node vs central differences of Σ forward(x) ⊙ g. */
function nodeGradientError(node: Node, x: number[], h = 1e-6): number {
  const out = node.forward(x);
  const g = Array.from(out, (_, i) => Math.sin(i + 1));
  const L = (v: number[]) => node.forward(v).reduce((s, y, i) => s + y * g[i], 0);
  node.forward(x);
  const dx = node.backward(g);
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const up = [...x];
    const down = [...x];
    up[i] += h;
    down[i] -= h;
    worst = Math.max(worst, Math.abs((L(up) - L(down)) / (2 * h) - dx[i]));
  }
  return worst;
}

describe('local derivatives of the graph nodes', () => {
  it('add passes dout through to both inputs', () => expect(new AddLayer().backward(1.7)).toEqual([1.7, 1.7]));

  it('multiply swaps its inputs', () => {
    const mul = new MulLayer();
    mul.forward(3, 5);
    expect(mul.backward(2)).toEqual([10, 6]);
  });

  it('inverse: dx = -dout * y^2', () => {
    const node = new InverseNode();
    expect([...node.forward([2, -4])]).toEqual([0.5, -0.25]);
    expect([...node.backward([1, 2])]).toEqual([-0.25, -0.125]);
    expect(nodeGradientError(new InverseNode(), [0.7, 1.9, -2.5])).toBeLessThan(1e-8);
  });

  it('exp: dx = dout * y', () => {
    const node = new ExpNode();
    node.forward([0, 1]);
    expect([...node.backward([1, 2])]).toEqual([1, 2 * Math.E]);
    expect(nodeGradientError(new ExpNode(), [-1, 0.3, 2])).toBeLessThan(1e-8);
  });

  it('log: dx = dout / x', () => {
    const node = new LogNode();
    node.forward([2, 4]);
    expect([...node.backward([1, 1])]).toEqual([0.5, 0.25]);
    expect(nodeGradientError(new LogNode(), [0.5, 1.5, 3])).toBeLessThan(1e-8);
  });

  it('repeat forward is a sum backward (broadcast)', () => {
    const node = new RepeatSumNode(3);
    expect([...node.forward([1, 2])]).toEqual([1, 2, 1, 2, 1, 2]);
    expect([...node.backward([1, 10, 2, 20, 3, 30])]).toEqual([6, 60]);
    expect(nodeGradientError(new RepeatSumNode(4), [0.1, -0.2, 0.3])).toBeLessThan(1e-8);
  });
});
