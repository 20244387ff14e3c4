import { Command } from 'commander';
import { addDataOptions, addModelOptions, addOutputOptions } from './shared-options.js';

/**
 * `nn-train eval --model FILE`: a saved model's accuracy and confusion matrix on a data set.
 * The schema and the run live in eval-run.ts, loaded by the action.
 */
export function evalCommand(): Command {
  const cmd = new Command('eval').description('accuracy and confusion matrix of a saved model (.safetensors) on a data set');
  addModelOptions(cmd);
  addDataOptions(cmd);
  addOutputOptions(cmd, 'print NDJSON: an eval record and a confusion record');
  return cmd
    .addHelpText(
      'after',
      `
Examples:
  $ nn-train --hidden 100,100 --optimizer adam --init he --epochs 5 --save m.safetensors
  $ nn-train eval --model m.safetensors
  $ nn-train eval --model m.safetensors --split train --json | jq .accuracy`,
    )
    .action(async (raw: Record<string, unknown>) => {
      const { runEval } = await import('./eval-run.js');
      await runEval(raw);
    });
}
