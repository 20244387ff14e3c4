import { describe, expect, it } from 'vitest';
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
