import { createRequire } from 'node:module';
import { DEFAULTS, type TrainConfigValues } from '../../config.js';
import { RuntimeFailure } from '../../errors.js';
import type { Kernels } from '../../kernels/kernels.js';
import { referenceKernels } from '../../kernels/reference.js';
import { TwoLayerNet } from '../../network/two-layer-net.js';
import { configRecord } from '../../report/records.js';
import { detectStyle } from '../../report/style.js';
import { svgPlot } from '../../report/svg-plot.js';
import { TrainReporter, headline } from '../../report/train-report.js';
import { Sgd } from '../../train/optimizers/sgd.js';
import { Rng } from '../../train/rng.js';
import { epochCount, train } from '../../train/trainer.js';
import { requireParentFolder, writeFileAtomic } from '../files.js';
import { loadData } from '../load-data.js';
import { setJsonErrors, writeErr, writeOut } from '../output.js';
import { EXIT_INTERRUPTED, watchInterrupt } from '../signals.js';
import { gradientCheckOnData } from './gradcheck-run.js';

const require = createRequire(import.meta.url);
const { version } = require('../../../package.json') as { version: string };

/** The kernels a training run uses (the gradient check always uses float64 reference ones). */
function trainKernels(config: TrainConfigValues): Kernels {
  return referenceKernels(config.dtype);
}

/**
 * One training run: data -> network -> trainer -> events -> reporter. Sets exit code 130 when
 * Ctrl-C stopped it (after printing what was done); throws NnTrainErrors for everything else.
 */
export async function runTrain(config: TrainConfigValues): Promise<void> {
  setJsonErrors(config.json);
  requireParentFolder('--plot', config.plot);
  const out = detectStyle(process.stdout, { color: config.color, quiet: config.quiet });
  const err = detectStyle(process.stderr, { color: config.color, quiet: config.quiet });
  const reporter = new TrainReporter({ json: config.json, quiet: config.quiet, out, err, write: writeOut, note: writeErr, stderr: process.stderr });
  const interrupt = watchInterrupt(() => reporter.close());
  try {
    reporter.loading(`Loading ${config.dataset}`);
    const { data, record, seconds } = await loadData(config, (e) => reporter.dataEvent(e));
    reporter.loaded(record, seconds);

    const kernels = trainKernels(config);
    const rng = new Rng(config.seed);
    const inputSize = data.train.rows * data.train.cols;
    const net = new TwoLayerNet(kernels, rng, inputSize, config.hidden, data.info.classes, config.weightInitStd);
    // The book: iter_per_epoch = max(train_size / batch_size, 1); whole steps here.
    const iterPerEpoch = Math.max(Math.floor(data.train.count / config.batchSize), 1);
    const iterations = config.iters ?? config.epochs * iterPerEpoch;
    const epochs = epochCount(iterations, iterPerEpoch);
    const run = { seed: config.seed, iterations, iterPerEpoch, epochs, kernels: kernels.name };
    const architecture = `${inputSize}-${config.hidden}-${data.info.classes}`;
    reporter.config(
      configRecord(version, config, run, record),
      headline({ ...config, ...run, architecture, dataset: record.name }),
    );

    if (config.gradcheck) {
      const count = Math.min(DEFAULTS.gradcheckCount, data.train.count);
      const checks = gradientCheckOnData(data, config, count, DEFAULTS.gradcheckTolerance);
      reporter.gradcheck(checks, DEFAULTS.gradcheckTolerance, count);
      const failed = checks.filter((c) => !c.ok);
      if (failed.length > 0) {
        throw new RuntimeFailure(`gradient check failed for ${failed.map((c) => c.param).join(', ')}; not training`);
      }
    }

    interrupt.training(() => reporter.stopping());
    const summary = await train(
      net,
      new Sgd(kernels, config.lr),
      data,
      rng,
      { iterations, batchSize: config.batchSize, iterPerEpoch, signal: interrupt.signal },
      (e) => reporter.event(e),
    );

    if (config.plot !== undefined && reporter.epochEvents.length > 0) {
      writeFileAtomic(config.plot, svgPlot([...reporter.epochEvents], `nn-train: ${architecture} on ${record.name}, batch ${config.batchSize}, lr ${config.lr}, seed ${config.seed}`));
      reporter.notice(`Wrote ${config.plot}`);
    }
    if (summary.interrupted) process.exitCode = EXIT_INTERRUPTED;
  } finally {
    reporter.close();
    interrupt.dispose();
  }
}
