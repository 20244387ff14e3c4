import { Command } from 'commander';
import { z } from 'zod';
import { chainRuleExample } from '../../demo/chain-rule.js';
import { appleExample, appleOrangeExample } from '../../demo/shopping.js';
import { chainRecord, chainTable, shoppingRecord, shoppingTable } from '../../report/demo-report.js';
import { detectStyle } from '../../report/style.js';
import { parseOptions } from '../parse-options.js';
import { writeOut } from '../output.js';

const DemoOptions = z.object({
  name: z.enum(['apple', 'apple-orange', 'chain'], { error: 'must be one of apple, apple-orange, chain' }),
  // The point where the chain rule is evaluated; any finite number.
  x: z.coerce.number({ error: 'must be a number' }).refine(Number.isFinite, 'must be a finite number'),
  json: z.boolean(),
  color: z.boolean(),
});

export function demoCommand(): Command {
  return new Command('demo')
    .description("the book's worked examples, computed by the layers: apple, apple-orange, chain")
    .argument('<name>', 'apple | apple-orange | chain')
    .option('--x <number>', 'where to evaluate the chain-rule example', '1.5')
    .option('--json', 'print one JSON object instead of a table', false)
    .option('--no-color', 'no ANSI colours')
    .addHelpText(
      'after',
      `
Examples:
  $ nn-train demo apple-orange          # 715, and the gradient of each input
  $ nn-train demo chain --x 0.5 --json  # numerical vs chain-rule derivative`,
    )
    .action((name: string, raw: Record<string, unknown>) => {
      const opts = parseOptions(DemoOptions, { ...raw, name }, { name: 'demo <name>' });
      const style = detectStyle(process.stdout, { color: opts.color });
      if (opts.name === 'chain') {
        const r = chainRuleExample(opts.x);
        writeOut(opts.json ? JSON.stringify(chainRecord(r)) : chainTable(r, style));
      } else {
        const r = opts.name === 'apple' ? appleExample() : appleOrangeExample();
        writeOut(opts.json ? JSON.stringify(shoppingRecord(r)) : shoppingTable(r, style));
      }
    });
}
