import type { ChainRuleResult } from '../demo/chain-rule.js';
import type { ShoppingResult } from '../demo/shopping.js';
import type { Style } from './style.js';
import { renderTable } from './table.js';

/**
 * The worked examples are exact in arithmetic but not in binary floating point
 * (100 * 2 * 1.1 is 220.00000000000003), so we print them to 12 significant digits.
 */
export function tidy(v: number): number {
  return Number(v.toPrecision(12));
}

export function shoppingRecord(r: ShoppingResult): object {
  return {
    type: 'demo',
    name: r.name,
    price: tidy(r.price),
    grads: Object.fromEntries(Object.entries(r.grads).map(([k, v]) => [k, tidy(v)])),
  };
}

export function shoppingTable(r: ShoppingResult, style: Style): string {
  const rows: Array<Array<string | number>> = [['price (forward)', tidy(r.price)]];
  for (const [k, v] of Object.entries(r.grads)) rows.push([`d price / d ${k}`, tidy(v)]);
  return renderTable([`${r.name}`, 'value'], rows, style, ['left', 'right']);
}

export function chainRecord(r: ChainRuleResult): object {
  return { type: 'demo', ...r };
}

export function chainTable(r: ChainRuleResult, style: Style): string {
  return renderTable(
    ['h(g(f(x))) = sin((2x+1)^2)', 'value'],
    [
      ['x', r.x],
      ['value', r.value],
      ['numerical derivative (h = 1e-4)', r.numerical],
      ['chain rule: cos((2x+1)^2) * 2(2x+1) * 2', r.chainRule],
      ['backprop through Mul/Add nodes', r.backprop],
      ['|numerical - chain rule|', r.difference.toExponential(2)],
    ],
    style,
    ['left', 'right'],
  );
}
