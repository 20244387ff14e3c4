import { describe, expect, it } from 'vitest';
import { chainRuleExample } from '../../src/demo/chain-rule.js';

describe('the chain rule (section 5.2)', () => {
  it.each([0, 0.3, 1.5, -2])('at x = %s the graph, the closed form and central differences agree', (x) => {
    const r = chainRuleExample(x);
    expect(r.backprop).toBeCloseTo(r.chainRule, 12);
    expect(r.value).toBeCloseTo(Math.sin((2 * x + 1) ** 2), 15);
    // Central differences err by about h^2/6 times the third derivative.
    expect(Math.abs(r.numerical - r.chainRule)).toBeLessThan(1e-4);
    expect(r.difference).toBe(Math.abs(r.numerical - r.chainRule));
  });
});
