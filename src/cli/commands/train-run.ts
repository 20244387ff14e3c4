import { createRequire } from 'node:module';
import { DEFAULTS, type TrainConfigValues } from '../../config.js';
import { GRADCHECK_SAMPLES } from '../../defaults.js';
import { RuntimeFailure } from '../../errors.js';
import type { Kernels } from '../../kernels/kernels.js';
import { createKernels } from '../../kernels/index.js';
import { buildAnyNetwork } from '../../network/build-network.js';
import { confusionRecord, confusionTable } from '../../report/confusion-report.js';
import { configRecord, toJsonLine } from '../../report/records.js';
import { createTrainReporter, headline } from '../../report/train-report.js';
import { confusionOf } from '../../train/confusion.js';
import { createOptimizer } from '../../train/optimizers/index.js';
import { Rng } from '../../tensor/rng.js';
import { epochCount, train } from '../../train/trainer.js';
import { requireParentFolder, writeFileAtomic } from '../files.js';
import { finishIfStdoutCloses, setJsonErrors, writeOut } from '../output.js';
import { EXIT_INTERRUPTED } from '../signals.js';
import { withData } from './with-data.js';

const require = createRequire(import.meta.url);
const { version } = require('../../../package.json') as { version: string };

/** The kernels a training run uses (the gradient check always uses float64 reference ones). */
function trainKernels(config: TrainConfigValues): Promise<Kernels> {
  return createKernels({ dtype: config.dtype, backend: config.backend, threads: config.threads });
}

/**
 * One training run: data -> network -> trainer -> events -> reporter. Sets exit code 130 when
 * Ctrl-C stopped it (after printing what was done); throws NnTrainErrors for everything else.
 */
export async function runTrain(config: TrainConfigValues): Promise<void> {
  setJsonErrors(config.json); // (before the checks below, so that with --json their errors are records too)
  finishIfStdoutCloses(config.save !== undefined || config.plot !== undefined);
  requireParentFolder('--plot', config.plot);
  requireParentFolder('--save', config.save);
  // Worker threads start up while the reporter's modules and the data load.
  const kernelsReady = trainKernels(config);
  kernelsReady.catch(() => {}); // (awaited below; this only keeps a failure from going unhandled meanwhile)
  await withData(config, async ({ out, reporter, data, record, interrupt }) => {
    const kernels = await kernelsReady;
    const rng = new Rng(config.seed);
    const inputSize = data.train.rows * data.train.cols;
    // With --hidden 50, relu and std init this is bit for bit the book's TwoLayerNet (tested).
    const settings = { inputSize, hidden: config.hidden, outputSize: data.info.classes, activation: config.activation, init: config.init, weightInitStd: config.weightInitStd };
    const net = buildAnyNetwork(kernels, rng, settings, config.layers, data.train);
    // The book: iter_per_epoch = max(train_size / batch_size, 1); whole steps here.
    const iterPerEpoch = Math.max(Math.floor(data.train.count / config.batchSize), 1);
    const iterations = config.iters ?? config.epochs * iterPerEpoch;
    const epochs = epochCount(iterations, iterPerEpoch);
    const run = { seed: config.seed, iterations, iterPerEpoch, epochs, kernels: kernels.name };
    const architecture = net.architecture;
    reporter.config(
      configRecord(version, config, run, record),
      // (A layer spec names its own activations: the headline names the preset instead.)
      headline({ ...config, ...run, architecture, dataset: record.name, activation: config.layers === undefined ? config.activation : config.arch === 'mlp' ? 'own layers' : config.arch }),
    );

    if (config.gradcheck) {
      const count = Math.min(DEFAULTS.gradcheckCount, data.train.count);
      const { gradientCheckOnData, sampledMethod } = await import('./gradcheck-run.js'); // (only --gradcheck pays for it)
      const checks = gradientCheckOnData(data, config, count, DEFAULTS.gradcheckTolerance);
      reporter.gradcheck(checks, DEFAULTS.gradcheckTolerance, count, config.layers === undefined ? undefined : sampledMethod(GRADCHECK_SAMPLES));
      const failed = checks.filter((c) => !c.ok);
      if (failed.length > 0) {
        throw new RuntimeFailure(`gradient check failed for ${failed.map((c) => c.param).join(', ')}; not training`);
      }
    }

    interrupt.training(() => reporter.stopping());
    const summary = await train(
      net,
      createOptimizer(kernels, config),
      data,
      rng,
      { iterations, batchSize: config.batchSize, iterPerEpoch, signal: interrupt.signal, evalSamples: config.evalSamples },
      (e) => reporter.event(e),
    );

    if (config.plot !== undefined && reporter.epochEvents.length > 0) {
      const { svgPlot } = await import('../../report/svg-plot.js');
      writeFileAtomic(config.plot, svgPlot([...reporter.epochEvents], `nn-train: ${architecture} on ${record.name}, batch ${config.batchSize}, lr ${config.lr}, seed ${config.seed}`));
      reporter.notice(`Wrote ${config.plot}`);
    }
    // What the trained net confuses on the test set (nothing to show before the first step).
    if (summary.iterations > 0) {
      const confusion = confusionOf(net, data.test, data.info.classes);
      writeOut(config.json ? toJsonLine(confusionRecord(confusion, 'test')) : `\n${confusionTable(confusion, 'test', out)}`);
    }
    if (config.save !== undefined) {
      const { saveModel } = await import('../../model/model-file.js');
      await saveModel(config.save, net, {
        dataset: record.name,
        accuracy: String(summary.finalTestAcc), // test accuracy after the last step
        trainAccuracy: String(summary.finalTrainAcc),
        init: config.init,
        weightInitStd: String(config.weightInitStd),
        optimizer: config.optimizer,
        lr: String(config.lr),
        iterations: String(summary.iterations),
        seed: String(config.seed),
        dtype: config.dtype,
        createdBy: `nn-train ${version}`,
      });
      reporter.notice(`Saved ${architecture}${config.layers === undefined ? ` (${config.activation})` : ''} to ${config.save}`);
    }
    reporter.writeSummary();
    if (summary.interrupted) process.exitCode = EXIT_INTERRUPTED;
  }, createTrainReporter);
}
