import { Command } from 'commander';
import { DATA_DIR_HELP } from './shared-options.js';

/** `nn-train download`; the schema and the run live in download-run.ts, loaded by the action. */
export function downloadCommand(): Command {
  return new Command('download')
    .description('download and verify a data set (MD5 of each of the four files); a second run downloads nothing')
    .option('--dataset <name>', 'mnist | fashion-mnist', 'mnist')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .option('--mirror <url>', 'base URL to fetch from, http(s) or file (default: $NN_TRAIN_MIRROR or the built-in mirrors)')
    .option('--timeout <sec>', 'give up on a mirror after this many seconds without data', '30')
    .option('--json', 'one JSON object per file and a summary, instead of a table', false)
    .option('--no-color', 'no ANSI colours')
    .option('--quiet', 'results only: no progress on stderr (the table or JSON still prints; warnings and errors too)', false)
    .addHelpText(
      'after',
      `
Examples:
  $ nn-train download                                   # MNIST into the cache; the last line says where
  $ nn-train download --dataset fashion-mnist --json
  $ nn-train download --mirror http://127.0.0.1:8000/ --data-dir /tmp/mnist`,
    )
    .action(async (raw: Record<string, unknown>) => {
      const { runDownload } = await import('./download-run.js');
      await runDownload(raw);
    });
}
