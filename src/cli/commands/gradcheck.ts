import { Command, Option } from 'commander';
import { DEFAULTS, GradcheckConfig, type GradcheckConfigValues } from '../../config.js';
import type { Dataset } from '../../data/dataset.js';
import { UsageError } from '../../errors.js';
import { setJsonErrors } from '../output.js';
import { parseOptions } from '../parse-options.js';
import { addNetworkOptions } from './network-options.js';
import { addDataOptions, addOutputOptions } from './shared-options.js';

export function gradcheckCommand(): Command {
  const cmd = new Command('gradcheck')
    .description("check backprop against numerical gradients (central differences) on the first training images, in float64, as the book's gradient_check.py")
    .addOption(new Option('--count <n>', 'training images to check on').default(DEFAULTS.gradcheckCount))
    .addOption(new Option('--tolerance <x>', 'largest allowed |numerical - backprop| per entry').default(DEFAULTS.gradcheckTolerance))
    .addOption(new Option('--weight-init-std <x>', 'weights start as this times N(0, 1)').default(DEFAULTS.weightInitStd))
    .addOption(new Option('--seed <n>', 'random seed of the initial weights').default(DEFAULTS.seed));
  addNetworkOptions(cmd);
  addDataOptions(cmd);
  addOutputOptions(cmd, 'print NDJSON: one gradcheck record per parameter and a summary');
  return cmd
    .addHelpText(
      'after',
      `
Exit code 1 when any parameter's max |diff| exceeds the tolerance.

Examples:
  $ nn-train gradcheck --data-dir ../shared/data/mnist
  $ nn-train gradcheck --count 10 --json | jq -c 'select(.type == "gradcheck")'`,
    )
    .action(async (raw: Record<string, unknown>) => {
      setJsonErrors(raw.json === true); // a bad flag under --json is an error record too
      const opts = parseOptions(GradcheckConfig, raw);
      const { runGradcheckCommand } = await import('./gradcheck-run.js');
      await runGradcheckCommand(opts);
    });
}

/** The images a gradient check uses: the first `count` of the training set. */
export function checkCount(data: Dataset, count: number): number {
  if (count > data.train.count) {
    throw new UsageError(`--count must be at most ${data.train.count} (the training images available), got ${count}`);
  }
  return count;
}

export type { GradcheckConfigValues };
