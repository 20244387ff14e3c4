import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { DEFAULTS, type ServeOptionValues, type TrainConfigValues } from '../../config.js';
import { GRADCHECK_SAMPLES } from '../../defaults.js';
import { RuntimeFailure, UsageError } from '../../errors.js';
import type { Kernels } from '../../kernels/kernels.js';
import { createKernels } from '../../kernels/index.js';
import { buildAnyNetwork, networkSettings } from '../../network/build-network.js';
import { confusionRecord, confusionTable } from '../../report/confusion-report.js';
import { configRecord, toJsonLine } from '../../report/records.js';
import { createTrainReporter, divergedMessage, headline, lossNotFallingMessage, plural } from '../../report/train-report.js';
import { confusionOf } from '../../train/confusion.js';
import { createOptimizer } from '../../train/optimizers/index.js';
import { Rng } from '../../tensor/rng.js';
import { Diverged, epochCount, train, type TrainEvent, type TrainSummary } from '../../train/trainer.js';
import { requireParentFolder, writeFileAtomic } from '../files.js';
import { finishIfStdoutCloses, setJsonErrors, writeOut } from '../output.js';
import { EXIT_INTERRUPTED } from '../signals.js';
import { CheckpointWriter, openResume, restoreResume } from './train-checkpoint.js';
import { splitTrainingData } from './training-split.js';
import { withData } from './with-data.js';

const require = createRequire(import.meta.url);
const { version } = require('../../../package.json') as { version: string };

/** The kernels a training run uses (the gradient check always uses float64 reference ones). */
function trainKernels(config: TrainConfigValues): Promise<Kernels> {
  return createKernels({ dtype: config.dtype, backend: config.backend, threads: config.threads });
}

/**
 * One training run: data -> network -> trainer -> events -> reporter. Sets exit code 130 when
 * Ctrl-C stopped it (143 for SIGTERM; after printing what was done and writing the checkpoint);
 * throws NnTrainErrors for everything else. `given` lists the flags typed on the command line
 * (a resumed run checks them against its checkpoint).
 */
export async function runTrain(flags: TrainConfigValues, given: readonly string[] = [], serve?: ServeOptionValues): Promise<void> {
  setJsonErrors(flags.json); // (before the checks below, so that with --json their errors are records too)
  finishIfStdoutCloses(flags.save !== undefined || flags.plot !== undefined || flags.checkpoint !== undefined || flags.resume !== undefined);
  requireParentFolder('--plot', flags.plot);
  requireParentFolder('--save', flags.save);
  requireParentFolder('--checkpoint', flags.checkpoint);
  // A checkpoint to resume from is read and checked first: a damaged one stops the run here.
  const resume = flags.resume !== undefined ? openResume(flags.resume, flags, given) : undefined;
  const config = resume?.config ?? flags;
  const checkpointFile = config.checkpoint ?? config.resume; // a resumed run keeps checkpointing to its file
  for (const [flag, other] of [['--save', config.save], ['--plot', config.plot]] as const) {
    if (checkpointFile !== undefined && other !== undefined && resolve(other) === resolve(checkpointFile)) {
      throw new UsageError(`${flag} ${other} is the checkpoint file too; give them different names`);
    }
  }
  // Worker threads start up while the reporter's modules and the data load.
  const kernelsReady = trainKernels(config);
  kernelsReady.catch(() => {}); // (awaited below; this only keeps a failure from going unhandled meanwhile)
  await withData(config, async ({ out, reporter, data: loaded, record, interrupt }) => {
    // --train-size and --validation-split: the images trained on, and those held out (book 6.5.1).
    const { data, validation } = splitTrainingData(loaded, config);
    const kernels = await kernelsReady;
    const rng = new Rng(config.seed);
    const inputSize = data.train.rows * data.train.cols;
    // With --hidden 50, relu and std init this is bit for bit the book's TwoLayerNet (tested).
    const net = buildAnyNetwork(kernels, rng, { inputSize, outputSize: data.info.classes, ...networkSettings(config) }, config.layers, data.train);
    // The book: iter_per_epoch = max(train_size / batch_size, 1); whole steps here.
    const iterPerEpoch = Math.max(Math.floor(data.train.count / config.batchSize), 1);
    const iterations = resume?.iterations ?? config.iters ?? config.epochs * iterPerEpoch;
    const epochs = epochCount(iterations, iterPerEpoch);
    // The reported loss includes the weight decay penalty; trainCount/validationCount are the images used.
    const run = { seed: config.seed, iterations, iterPerEpoch, epochs, kernels: kernels.name, lossIncludesPenalty: true, trainCount: data.train.count, validationCount: validation?.count ?? 0 };
    const architecture = net.architecture;
    const optimizer = createOptimizer(kernels, config);
    const from = resume !== undefined ? restoreResume(resume, data, net, optimizer, rng) : undefined;
    const configRec = configRecord(version, config, run, record, from && { file: resume!.file, epoch: from.epoch, iteration: from.iteration });
    // (A layer spec names its own activations: the headline names the preset instead.)
    const activation = config.layers === undefined ? config.activation : config.arch === 'mlp' ? 'own layers' : config.arch;
    // What the end of the run writes is loaded now, before training: a run of an hour must not
    // need dist/ to be the same at its end (a rebuild or an upgrade replaces the chunk files).
    const plotting = config.plot !== undefined ? await import('../../report/svg-plot.js') : null;
    const saving = config.save !== undefined ? await import('../../model/model-file.js') : null;
    reporter.config(configRec, headline({ ...config, ...run, architecture, dataset: record.name, activation }));
    if (from !== undefined) {
      reporter.resumed(from.records);
      reporter.notice(`Resuming from ${resume!.file} after ${plural(from.iteration, 'iteration')} (epoch ${from.epoch})`);
    }
    // --serve: the page follows the run (its module loads only then).
    const page = serve && (await (await import('./train-page.js')).startTrainPage(serve, config, configRec, net, data, record));

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

    interrupt.training((signal) => reporter.stopping(signal));
    const checkpoints = checkpointFile !== undefined ? new CheckpointWriter(checkpointFile, { config, data, iterations, iterPerEpoch, createdBy: `nn-train ${version}` }, net, optimizer, rng) : undefined;
    const emit = (e: TrainEvent): void => {
      if (e.type === 'warning') reporter.warning(e.code, lossNotFallingMessage(e.firstLoss, e.epochLoss, config.lr));
      else {
        reporter.event(e);
        page?.event(e);
      }
    };
    let summary: TrainSummary;
    try {
      summary = await train(net, optimizer, data, rng, { iterations, batchSize: config.batchSize, iterPerEpoch, signal: interrupt.signal, from, onCheckpoint: checkpoints?.write, validation, evalSamples: config.evalSamples }, emit);
    } catch (err) {
      // The checkpoint file, if this run wrote one or resumed from it, holds the last good state.
      const kept = checkpoints !== undefined && (checkpoints.written > 0 || resume !== undefined) ? checkpoints.file : undefined;
      if (err instanceof Diverged) throw new RuntimeFailure(divergedMessage(err, config.lr, kept));
      throw err;
    }

    if (config.plot !== undefined && plotting !== null && reporter.epochEvents.length > 0) {
      const { svgPlot } = plotting;
      const points = reporter.epochEvents.map((e) => ({ ...e, testAcc: e.valAcc ?? e.testAcc }));
      const title = `nn-train: ${architecture} on ${record.name}, batch ${config.batchSize}, lr ${config.lr}, seed ${config.seed}`;
      writeFileAtomic(config.plot, svgPlot(points, title, validation === null ? 'test accuracy' : 'validation accuracy'));
      reporter.notice(`Wrote ${config.plot}`);
    }
    // What the trained net confuses on the test set (nothing to show before the first step).
    if (summary.iterations > 0) {
      const confusion = summary.testConfusion ?? confusionOf(net, data.test, data.info.classes);
      writeOut(config.json ? toJsonLine(confusionRecord(confusion, 'test')) : `\n${confusionTable(confusion, 'test', out)}`);
    }
    if (config.save !== undefined && saving !== null) {
      const { saveModel } = saving;
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
        weightDecay: String(config.weightDecay),
        trainCount: String(data.train.count),
        createdBy: `nn-train ${version}`,
      });
      reporter.notice(`Saved ${architecture}${config.layers === undefined ? ` (${config.activation})` : ''} to ${config.save}`);
    }
    reporter.writeSummary();
    if (page) await page.finish(summary.interrupted, interrupt);
    if (summary.interrupted && checkpointFile !== undefined) reporter.notice(`Saved the training state to ${checkpointFile}; continue with: nn-train --resume ${checkpointFile}`, true);
    if (summary.interrupted) process.exitCode = interrupt.exitCode;
    else if (page) process.exitCode = EXIT_INTERRUPTED; // the page served until Ctrl-C
  }, createTrainReporter);
}
