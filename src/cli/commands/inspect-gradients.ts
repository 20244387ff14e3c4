import { Command, Option } from 'commander';
import { z } from 'zod';
import { DataOptions, DEFAULTS, NetworkOptions, OutputOptions, TrainFields } from '../../config.js';
import { UsageError } from '../../errors.js';
import { referenceKernels } from '../../kernels/reference.js';
import { buildNetwork } from '../../network/build-network.js';
import { gradStats } from '../../network/grad-stats.js';
import { gradStatsRecord, gradStatsTable, inputToOutputRatio } from '../../report/grad-stats-report.js';
import { toJsonLine } from '../../report/records.js';
import { gatherBatch } from '../../train/batch.js';
import { Rng } from '../../train/rng.js';
import { writeOut } from '../output.js';
import { parseOptions } from '../parse-options.js';
import { withData } from './command-run.js';
import { addNetworkOptions } from './network-options.js';
import { addDataOptions, addOutputOptions } from './shared-options.js';

const InspectOptions = z
  .object({
    batchSize: TrainFields.shape.batchSize,
    weightInitStd: TrainFields.shape.weightInitStd,
    seed: TrainFields.shape.seed,
  })
  .extend(NetworkOptions.shape)
  .extend(DataOptions.shape)
  .extend(OutputOptions.shape);

/**
 * `nn-train inspect-gradients`: the network as training would start it (same flags, same
 * seed), one backprop pass on the first training batch, and per layer the weight-gradient
 * norm and the activations' spread. Shows the vanishing gradient of deep sigmoid nets.
 */
export function inspectGradientsCommand(): Command {
  const cmd = new Command('inspect-gradients')
    .description('per-layer gradient norms and activation spread at the start of training (vanishing gradients)')
    .addOption(new Option('--batch-size <n>', 'images in the batch').default(DEFAULTS.batchSize))
    .addOption(new Option('--weight-init-std <x>', 'weights start as this times N(0, 1) (--init std)').default(DEFAULTS.weightInitStd))
    .addOption(new Option('--seed <n>', 'random seed of the weights and the batch, as in training').default(DEFAULTS.seed));
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
      const opts = parseOptions(InspectOptions, raw);
      await withData(opts, ({ out, data, record }) => {
        if (data.train.count === 0) throw new UsageError('the training set is empty');
        const kernels = referenceKernels('float64');
        const rng = new Rng(opts.seed);
        const D = data.train.rows * data.train.cols;
        const net = buildNetwork(kernels, rng, { inputSize: D, hidden: opts.hidden, outputSize: data.info.classes, activation: opts.activation, init: opts.init, weightInitStd: opts.weightInitStd });
        // The same draw as the trainer's first step: weights first, then the batch indices.
        const indices = rng.choice(data.train.count, new Int32Array(opts.batchSize));
        const x = kernels.alloc(opts.batchSize, D); // x: (batchSize, 784)
        const t = new Uint8Array(opts.batchSize);
        gatherBatch(x, t, data.train, indices);
        const stats = gradStats(net, x, t);
        const summary = {
          type: 'summary',
          architecture: net.architecture,
          activation: opts.activation,
          init: opts.init,
          weightInitStd: opts.weightInitStd,
          seed: opts.seed,
          batchSize: opts.batchSize,
          loss: net.lastLoss,
          firstToLastGradRatio: inputToOutputRatio(stats),
          dataset: record,
        };
        if (opts.json) {
          for (const s of stats) writeOut(toJsonLine(gradStatsRecord(s)));
          writeOut(toJsonLine(summary));
          return;
        }
        const init = opts.init === 'std' ? `std ${opts.weightInitStd}` : opts.init;
        writeOut(`Gradients of ${net.architecture} (${opts.activation}, ${init} init, seed ${opts.seed}) on one batch of ${opts.batchSize} ${record.name} training images; loss ${net.lastLoss.toFixed(4)}`);
        writeOut(gradStatsTable(stats, out));
      });
    });
}
