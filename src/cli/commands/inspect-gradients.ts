import { Command, Option } from 'commander';
import { DEFAULTS } from '../../defaults.js';
import { addNetworkOptions, addStartOptions } from './network-options.js';
import { addDataOptions, addOutputOptions } from './shared-options.js';

/**
 * `nn-train inspect-gradients`: the network as training would start it (same flags, same
 * seed), one backprop pass on the first training batch, and per layer the weight-gradient
 * norm and the activations' spread. Shows the vanishing gradient of deep sigmoid nets.
 */
export function inspectGradientsCommand(): Command {
  const cmd = new Command('inspect-gradients')
    .description('per-layer gradient norms and activation spread at the start of training (vanishing gradients)')
    .addOption(new Option('--batch-size <n>', 'images in the batch').default(DEFAULTS.batchSize));
  addStartOptions(cmd, 'random seed of the weights and the batch, as in training');
  addNetworkOptions(cmd);
  addDataOptions(cmd);
  addOutputOptions(cmd, 'print one gradStats record per layer and a summary');
  return cmd
    .addHelpText(
      'after',
      `
The batch is the first one training with the same --seed would draw; the pass runs in float64.

Examples:
  $ nn-train inspect-gradients --hidden 100,100,100,100,100 --activation sigmoid --init std
  $ nn-train inspect-gradients --hidden 100,100,100,100,100 --activation relu --init he --json`,
    )
    .action(async (raw: Record<string, unknown>) => {
      const { runInspectGradients } = await import('./inspect-gradients-run.js');
      await runInspectGradients(raw);
    });
}
