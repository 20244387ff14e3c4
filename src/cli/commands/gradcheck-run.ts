import type { GradcheckConfigValues } from '../../config.js';
import type { Dataset } from '../../data/dataset.js';
import { RuntimeFailure, UsageError } from '../../errors.js';
import { jsKernels } from '../../kernels/js.js';
import { GRADCHECK_SAMPLES } from '../../defaults.js';
import { gradientCheck, sampledGradientCheck, type ParamCheck, type SampledParamCheck } from '../../network/gradient-check.js';
import { buildAnyNetwork, buildNetwork, networkSettings } from '../../network/build-network.js';
import type { InitName } from '../../network/init.js';
import type { ActivationName } from '../../network/multi-layer-net.js';
import { createCommandReporter } from '../../report/command-report.js';
import { B2_NOTE, gradcheckTable, gradcheckVerdict } from '../../report/gradcheck-report.js';
import { gradcheckRecord, toJsonLine } from '../../report/records.js';
import { sliceBatch } from '../../train/batch.js';
import type { Matrix } from '../../tensor/matrix.js';
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
  layers?: string; // a layer spec's net (resolved from --arch/--layers) instead of the MLP
  samples?: number; // entries checked per tensor for a layer spec's net
}

/**
 * The book's gradient check on real data: a float64 TwoLayerNet (in float32 the numerical
 * gradient's round-off alone exceeds the tolerance) on the JS kernels, which give the
 * reference kernels' numbers bit for bit (test/kernels) several times faster, since they skip the
 * images' zero pixels: 80,000 forward passes is most of the check's cost. Initialised from
 * `seed` exactly as a training run with the same flags, checked on the first `count` training
 * images.
 */
export function gradientCheckOnData(data: Dataset, p: GradcheckNet, count: number, tolerance: number): (ParamCheck | SampledParamCheck)[] {
  const kernels = jsKernels('float64');
  const D = data.train.rows * data.train.cols;
  if (p.layers !== undefined) {
    // A layer spec's net, sampled: its weights from the seed as training draws them; the
    // dropout masks, then the entries checked, from the same generator after them.
    const rng = new Rng(p.seed);
    const settings = { inputSize: D, outputSize: data.info.classes, ...networkSettings(p) };
    const net = buildAnyNetwork(kernels, rng, settings, p.layers, data.train);
    offsetBiases(net.params, rng);
    const x = kernels.alloc(count, D); // x: (count, 784)
    const t = new Uint8Array(count); // t: (count)
    sliceBatch(x, t, data.train, 0, count);
    return sampledGradientCheck(net, x, t, p.samples ?? GRADCHECK_SAMPLES, rng, tolerance);
  }
  // With --hidden 50, relu and std init this is bit for bit the book's TwoLayerNet (tested).
  const net = buildNetwork(kernels, new Rng(p.seed), { inputSize: D, outputSize: data.info.classes, ...networkSettings(p) });
  net.holdDropoutMasks(true); // one fixed function to differentiate
  const x = kernels.alloc(count, D); // x: (count, 784)
  const t = new Uint8Array(count); // t: (count)
  sliceBatch(x, t, data.train, 0, count);
  return gradientCheck(net, x, t, tolerance);
}

/**
 * Gives each bias small random values (as spread as its layer's weights) instead of zeros.
 * Why: a convolution over an MNIST image's empty corners outputs exactly its bias; at zero
 * that sits on ReLU's kink, where the loss has no derivative and central differences see half
 * a slope that backprop (rightly, by convention) does not. Off the kink both sides agree.
 */
function offsetBiases(params: Record<string, Matrix>, rng: Rng): void {
  for (const [name, b] of Object.entries(params)) {
    if (!name.startsWith('b')) continue;
    const W = params[`W${name.slice(1)}`].data;
    let sq = 0;
    for (let i = 0; i < W.length; i++) sq += W[i] * W[i];
    const std = Math.sqrt(sq / W.length);
    for (let i = 0; i < b.data.length; i++) b.data[i] = std * rng.normal();
  }
}

/** `nn-train gradcheck`: the check, its table (or NDJSON) and exit 1 when it fails. */
export async function runGradcheckCommand(opts: GradcheckConfigValues): Promise<void> {
  await withData(opts, ({ out, reporter, data, record }) => {
    const count = checkCount(data, opts.count);
    const D = data.train.rows * data.train.cols;
    const layers = opts.layers;
    const architecture = layers ?? [D, ...opts.hidden, data.info.classes].join('-');
    const samples = opts.samples ?? GRADCHECK_SAMPLES;
    const what = layers === undefined ? opts.activation : `${samples} sampled entries per tensor`;
    reporter.notice(`Checking ${architecture} (${what}, ${opts.init} init, float64, seed ${opts.seed}) on the first ${count} training image(s) of ${record.name}...`);
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
      ...(layers === undefined ? {} : { arch: opts.arch, layers, samples }),
    };
    if (opts.json) {
      for (const c of checks) writeOut(toJsonLine(gradcheckRecord(c, opts.tolerance)));
      writeOut(toJsonLine(summary));
    } else {
      writeOut(gradcheckTable(checks, opts.tolerance, out));
      const method = layers === undefined ? undefined : sampledMethod(samples);
      writeOut(gradcheckVerdict(checks, opts.tolerance, count, out, method));
      const kinks = checks.reduce((n, c) => n + ('kinks' in c ? c.kinks : 0), 0);
      if (!opts.quiet && kinks > 0) writeOut(out.chalk.dim(`Note: ${kinks} drawn entr${kinks === 1 ? 'y sat' : 'ies sat'} at a ReLU or max-pool kink (the two steps disagreed) and ${kinks === 1 ? 'was' : 'were'} redrawn.`));
      if (!opts.quiet && layers === undefined) writeOut(out.chalk.dim(B2_NOTE));
    }
    if (!ok) {
      const failed = checks.filter((c) => !c.ok).map((c) => `${c.param} (max ${c.maxAbsDiff.toExponential(2)})`);
      throw new RuntimeFailure(`gradient check failed: ${failed.join(', ')} above the tolerance ${opts.tolerance}`);
    }
  }, createCommandReporter);
}

/** How a sampled check takes its numerical gradients, for its verdict line. */
export function sampledMethod(samples: number): string {
  return `central differences (h = 1e-5 and 5e-6) at ${samples} random entries per tensor`;
}

/** The images a gradient check uses: the first `count` of the training set. */
export function checkCount(data: Dataset, count: number): number {
  if (count > data.train.count) {
    throw new UsageError(`--count must be at most ${data.train.count} (the training images available), got ${count}`);
  }
  return count;
}
