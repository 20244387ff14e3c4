import { Command } from 'commander';
import { addDataOptions, addOutputOptions, addServeOptions } from './shared-options.js';

/**
 * `nn-train serve --model FILE`: a local page to look inside a saved model (draw a digit and
 * watch its layers, its confusion matrix on the test set) or a run's curves (--run FILE).
 * The schema and the run live in serve-run.ts, loaded by the action.
 */
export function serveCommand(): Command {
  const cmd = new Command('serve')
    .description('serve a local page to draw digits for a saved model, see its layers and its test-set confusion matrix, or a run\'s curves')
    .option('--model <file>', 'the model, as written by nn-train --save')
    .option('--run <file.ndjson>', 'a training run to show, as written by nn-train --json');
  addServeOptions(cmd);
  addDataOptions(cmd);
  addOutputOptions(cmd, 'print a serve record (url, host, port) on stdout');
  return cmd
    .addHelpText(
      'after',
      `
The page runs in the browser from the server's own files (nothing from the internet); the
server answers on this machine only unless --host says otherwise. Ctrl-C stops it.

Examples:
  $ nn-train --hidden 100 --epochs 5 --save m.safetensors --json > run.ndjson
  $ nn-train serve --model m.safetensors --open
  $ nn-train serve --model m.safetensors --run run.ndjson --port 8080
  $ nn-train --epochs 10 --serve                        # watch a run as it learns`,
    )
    .action(async (raw: Record<string, unknown>) => {
      const { runServe } = await import('./serve-run.js');
      await runServe(raw);
    });
}
