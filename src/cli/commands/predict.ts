import { Command } from 'commander';
import { addDataOptions, addModelOptions, addOutputOptions } from './shared-options.js';

/**
 * `nn-train predict --model FILE --index I`: one image, as text, and what the model makes of
 * it. The schema and the run live in predict-run.ts, loaded by the action.
 */
export function predictCommand(): Command {
  const cmd = new Command('predict').description("show one image as text art with its true label and a saved model's top-3 classes");
  addModelOptions(cmd);
  cmd.option('--index <i>', 'which image of the split (0-based)');
  addDataOptions(cmd);
  addOutputOptions(cmd, 'print one prediction record (label, predicted, probabilities, top3)');
  return cmd
    .addHelpText(
      'after',
      `
Examples:
  $ nn-train predict --model m.safetensors --index 0
  $ nn-train predict --model m.safetensors --index 42 --split train --json`,
    )
    .action(async (raw: Record<string, unknown>) => {
      const { runPredict } = await import('./predict-run.js');
      await runPredict(raw);
    });
}
