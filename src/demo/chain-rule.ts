import { AddLayer } from '../layers/add-layer.js';
import { MulLayer } from '../layers/mul-layer.js';

/**
 * The chain rule (book section 5.2) on h(g(f(x))) with f(x) = 2x + 1, g(y) = y^2, h(z) = sin z:
 * the derivative is h'(g(f(x))) * g'(f(x)) * f'(x) = cos((2x+1)^2) * 2(2x+1) * 2.
 *
 * We get it three ways: the closed form above; a backward pass through Mul/Add nodes
 * (y^2 is a Mul node fed y twice, whose two input gradients add up); and a central
 * difference, whose error is about h^2/6 times the third derivative (around 1e-5 at x = 1.5,
 * where the function oscillates fast; 2e-7 at x = 0).
 */
export interface ChainRuleResult {
  name: 'chain';
  x: number;
  value: number; // sin((2x+1)^2)
  numerical: number; // central difference, h = 1e-4
  chainRule: number; // cos((2x+1)^2) * 2(2x+1) * 2
  backprop: number; // the same product, accumulated by the graph's nodes
  difference: number; // |numerical - chainRule|
}

export function chainRuleExample(x: number, h = 1e-4): ChainRuleResult {
  const composite = (v: number) => Math.sin((2 * v + 1) ** 2);

  // Forward through the graph: f = 2 * x + 1, g = f * f, h = sin g.
  const mulTwo = new MulLayer();
  const addOne = new AddLayer();
  const square = new MulLayer();
  const f = addOne.forward(mulTwo.forward(2, x), 1);
  const g = square.forward(f, f);
  const value = Math.sin(g);

  // Backward: sin's local derivative is cos g; the square node sends dout to both of its
  // (identical) inputs, and a value used twice sums its gradients.
  const dg = Math.cos(g);
  const [df1, df2] = square.backward(dg);
  const [dMul] = addOne.backward(df1 + df2);
  const [, dx] = mulTwo.backward(dMul);

  const numerical = (composite(x + h) - composite(x - h)) / (2 * h);
  const chainRule = Math.cos((2 * x + 1) ** 2) * 2 * (2 * x + 1) * 2;
  return { name: 'chain', x, value, numerical, chainRule, backprop: dx, difference: Math.abs(numerical - chainRule) };
}
