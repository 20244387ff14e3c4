import * as z from '../../zod.js';
import { chainRuleExample } from '../../demo/chain-rule.js';
import { appleExample, appleOrangeExample } from '../../demo/shopping.js';
import { chainRecord, chainTable, shoppingRecord, shoppingTable } from '../../report/demo-report.js';
import { detectStyle } from '../../report/style.js';
import { stdoutStream, writeOut } from '../output.js';
import { parseOptions } from '../parse-options.js';

const DemoOptions = z.object({
  name: z.enum(['apple', 'apple-orange', 'chain'], { error: 'must be one of apple, apple-orange, chain' }),
  // The point where the chain rule is evaluated; any finite number.
  x: z.coerce.number({ error: 'must be a number' }).check(z.refine(Number.isFinite, 'must be a finite number')),
  json: z.boolean(),
  color: z.boolean(),
});

/** `nn-train demo <name>`: validates the raw flags, computes the example, prints it. */
export function runDemo(name: string, raw: Record<string, unknown>): void {
  const opts = parseOptions(DemoOptions, { ...raw, name }, { name: 'demo <name>' });
  const style = detectStyle(stdoutStream(), { color: opts.color });
  if (opts.name === 'chain') {
    const r = chainRuleExample(opts.x);
    writeOut(opts.json ? JSON.stringify(chainRecord(r)) : chainTable(r, style));
  } else {
    const r = opts.name === 'apple' ? appleExample() : appleOrangeExample();
    writeOut(opts.json ? JSON.stringify(shoppingRecord(r)) : shoppingTable(r, style));
  }
}
