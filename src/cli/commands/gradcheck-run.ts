import type { GradcheckConfigValues } from '../../config.js';
import type { Dataset } from '../../data/dataset.js';
import { RuntimeFailure, UsageError } from '../../errors.js';
import { jsKernels } from '../../kernels/js.js';
import { gradientCheck, type ParamCheck } from '../../network/gradient-check.js';
import { buildNetwork, networkSettings } from '../../network/build-network.js';
import type { InitName } from '../../network/init.js';
import type { ActivationName } from '../../network/multi-layer-net.js';
import { createCommandReporter } from '../../report/command-report.js';
import { B2_NOTE, gradcheckTable, gradcheckVerdict } from '../../report/gradcheck-report.js';
import { gradcheckRecord, toJsonLine } from '../../report/records.js';
import { sliceBatch } from '../../train/batch.js';
import { Rng } from '../../tensor/rng.js';
import { writeOut } from '../output.js';
import { withData } from './with-data.js';

export interface GradcheckNet {
  hidden: number[];
  activation: ActivationName;
  init: InitName;
  weightInitStd: number;
  seed: number;
  batchNorm?: boolean;
  dropout?: number;
  weightDecay?: number;
}

/**
 * The book's gradient check on real data: a float64 TwoLayerNet (in float32 the numerical
 * gradient's round-off alone exceeds the tolerance) on the JS kernels, which give the
 * reference kernels' numbers bit for bit (test/kernels) several times faster, since they skip the
 * images' zero pixels: 80,000 forward passes is most of the check's cost. Initialised from
 * `seed` exactly as a training run with the same flags, checked on the first `count` training
 * images.
 */
export function gradientCheckOnData(data: Dataset, p: GradcheckNet, count: number, tolerance: number): ParamCheck[] {
  const kernels = jsKernels('float64');
  const D = data.train.rows * data.train.cols;
  // With --hidden 50, relu and std init this is bit for bit the book's TwoLayerNet (tested).
  const net = buildNetwork(kernels, new Rng(p.seed), { inputSize: D, outputSize: data.info.classes, ...networkSettings(p) });
  net.holdDropoutMasks(true); // one fixed function to differentiate
  const x = kernels.alloc(count, D); // x: (count, 784)
  const t = new Uint8Array(count); // t: (count)
  sliceBatch(x, t, data.train, 0, count);
  return gradientCheck(net, x, t, tolerance);
}

/** `nn-train gradcheck`: the check, its table (or NDJSON) and exit 1 when it fails. */
export async function runGradcheckCommand(opts: GradcheckConfigValues): Promise<void> {
  await withData(opts, ({ out, reporter, data, record }) => {
    const count = checkCount(data, opts.count);
    const D = data.train.rows * data.train.cols;
    const architecture = [D, ...opts.hidden, data.info.classes].join('-');
    reporter.notice(`Checking ${architecture} (${opts.activation}, ${opts.init} init, float64, seed ${opts.seed}) on the first ${count} training image(s) of ${record.name}...`);
    const started = performance.now();
    const checks = gradientCheckOnData(data, opts, count, opts.tolerance);
    const ok = checks.every((c) => c.ok);
    const summary = {
      type: 'summary',
      ok,
      architecture,
      activation: opts.activation,
      init: opts.init,
      dtype: 'float64',
      count,
      tolerance: opts.tolerance,
      seed: opts.seed,
      weightInitStd: opts.weightInitStd,
      weightDecay: opts.weightDecay,
      dropout: opts.dropout,
      batchNorm: opts.batchNorm,
      dataset: record,
      seconds: (performance.now() - started) / 1000,
    };
    if (opts.json) {
      for (const c of checks) writeOut(toJsonLine(gradcheckRecord(c, opts.tolerance)));
      writeOut(toJsonLine(summary));
    } else {
      writeOut(gradcheckTable(checks, opts.tolerance, out));
      writeOut(gradcheckVerdict(checks, opts.tolerance, count, out));
      if (!opts.quiet) writeOut(out.chalk.dim(B2_NOTE));
    }
    if (!ok) {
      const failed = checks.filter((c) => !c.ok).map((c) => `${c.param} (max ${c.maxAbsDiff.toExponential(2)})`);
      throw new RuntimeFailure(`gradient check failed: ${failed.join(', ')} above the tolerance ${opts.tolerance}`);
    }
  }, createCommandReporter);
}

/** The images a gradient check uses: the first `count` of the training set. */
export function checkCount(data: Dataset, count: number): number {
  if (count > data.train.count) {
    throw new UsageError(`--count must be at most ${data.train.count} (the training images available), got ${count}`);
  }
  return count;
}
