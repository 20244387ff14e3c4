import { Command } from 'commander';

/** `nn-train demo <name>`; the schema and the run live in demo-run.ts, loaded by the action. */
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
    .action(async (name: string, raw: Record<string, unknown>) => {
      const { runDemo } = await import('./demo-run.js');
      runDemo(name, raw);
    });
}
