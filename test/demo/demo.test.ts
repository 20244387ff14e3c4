import { describe, expect, it } from 'vitest';
import { chainRuleExample } from '../../src/demo/chain-rule.js';
import { appleExample, appleOrangeExample } from '../../src/demo/shopping.js';

describe("the book's shopping example (section 5.4)", () => {
  it('apple: 100 x 2 x 1.1 = 220, and its gradients', () => {
    const r = appleExample();
    expect(r.price).toBeCloseTo(220, 10);
    expect(r.grads.apple).toBeCloseTo(2.2, 12);
    expect(r.grads.appleNum).toBeCloseTo(110, 10);
    expect(r.grads.tax).toBe(200);
  });

  it('apple and orange: (100 x 2 + 150 x 3) x 1.1 = 715, and its gradients', () => {
    const r = appleOrangeExample();
    expect(r.price).toBeCloseTo(715, 10);
    expect(r.grads).toEqual({
      apple: expect.closeTo(2.2, 12),
      appleNum: expect.closeTo(110, 10),
      orange: expect.closeTo(3.3, 12),
      orangeNum: expect.closeTo(165, 10),
      tax: 650,
    });
  });
});

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
