import * as z from '../../zod.js';
import { DataOptions, NetworkOptions, OutputOptions, TrainFields } from '../../config.js';
import { UsageError } from '../../errors.js';
import { referenceKernels } from '../../kernels/reference.js';
import { buildNetwork } from '../../network/build-network.js';
import { gradStats } from '../../network/grad-stats.js';
import { createCommandReporter } from '../../report/command-report.js';
import { gradStatsRecord, gradStatsTable, inputToOutputRatio } from '../../report/grad-stats-report.js';
import { toJsonLine } from '../../report/records.js';
import { gatherBatch } from '../../train/batch.js';
import { Rng } from '../../tensor/rng.js';
import { writeOut } from '../output.js';
import { parseOptions } from '../parse-options.js';
import { withData } from './with-data.js';

const InspectOptions = z.object({
  batchSize: TrainFields.shape.batchSize,
  weightInitStd: TrainFields.shape.weightInitStd,
  seed: TrainFields.shape.seed,
  ...NetworkOptions.shape,
  ...DataOptions.shape,
  ...OutputOptions.shape,
});

/** `nn-train inspect-gradients`: validates the raw flags, one backprop pass, prints the stats. */
export async function runInspectGradients(raw: Record<string, unknown>): Promise<void> {
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
  }, createCommandReporter);
}
