import { Command, Option } from 'commander';
import { DEFAULTS, GRADCHECK_SAMPLES } from '../../defaults.js';
import { setJsonErrors } from '../output.js';
import { parseOptions } from '../parse-options.js';
import { addArchOptions, applyArchPreset, LAYERS_HELP, resolveLayers } from './arch-options.js';
import { addNetworkOptions, addRegularizationOptions, addStartOptions } from './network-options.js';
import { addDataOptions, addOutputOptions } from './shared-options.js';

export function gradcheckCommand(): Command {
  const cmd = new Command('gradcheck')
    .description("check backprop against numerical gradients (central differences) on the first training images, in float64, as the book's gradient_check.py")
    .addOption(new Option('--count <n>', 'training images to check on').default(DEFAULTS.gradcheckCount))
    .addOption(new Option('--tolerance <x>', 'largest allowed |numerical - backprop| per entry').default(DEFAULTS.gradcheckTolerance));
  addStartOptions(cmd, 'random seed of the initial weights');
  cmd.addOption(new Option('--samples <n>', `entries checked per parameter tensor, at random (nets other than the MLP, which checks all; default ${GRADCHECK_SAMPLES})`));
  addNetworkOptions(cmd);
  addRegularizationOptions(cmd);
  addArchOptions(cmd);
  addDataOptions(cmd);
  addOutputOptions(cmd, 'print NDJSON: one gradcheck record per parameter and a summary');
  return cmd
    .addHelpText(
      'after',
      `
Exit code 1 when any parameter's max |diff| exceeds the tolerance. A convnet or --layers net is
checked on a random sample of each tensor's entries (--samples), with its dropout masks held.
${LAYERS_HELP}

Examples:
  $ nn-train gradcheck --data-dir ~/datasets/mnist              # MNIST from a folder of your own
  $ nn-train gradcheck --hidden 20,20,20 --activation sigmoid   # any depth
  $ nn-train gradcheck --count 10 --json | jq -c 'select(.type == "gradcheck")'
  $ nn-train gradcheck --arch simple-convnet --samples 20`,
    )
    .action(async (raw: Record<string, unknown>, self: Command) => {
      setJsonErrors(raw.json === true); // a bad flag under --json is an error record too
      const { GradcheckConfig } = await import('../../config.js');
      const opts = parseOptions(GradcheckConfig, applyArchPreset(raw, self));
      opts.layers = resolveLayers(opts, self);
      const { runGradcheckCommand } = await import('./gradcheck-run.js');
      await runGradcheckCommand(opts);
    });
}
