import type { Kernels } from '../kernels/kernels.js';
import type { Rng } from '../tensor/rng.js';
import type { InitName } from './init.js';
import { parseLayerSpec } from './layer-spec.js';
import { MultiLayerNet, type ActivationName } from './multi-layer-net.js';
import { SequentialNet } from './sequential-net.js';

/** Every network a config can describe: the MLP of --hidden, or a layer spec's net. */
export type AnyNet = MultiLayerNet | SequentialNet;

/** What the config says about the network (the CLI's --hidden, --activation, --init, ...). */
export interface NetworkSettings {
  inputSize: number; // 784
  hidden: number[]; // [50] is the book's chapter 5 net
  outputSize: number; // 10
  activation: ActivationName;
  init: InitName;
  weightInitStd: number; // 0.01, used by init 'std'
  batchNorm?: boolean; // --batch-norm: BatchNormalization before each hidden activation
  dropout?: number; // --dropout: a Dropout of this ratio after each hidden activation (0: none)
  weightDecay?: number; // --weight-decay: the book's L2 lambda (0: none)
}

/**
 * The network a config describes, with fresh weights from rng. Always a MultiLayerNet: with
 * hidden [50], relu and std init it is bit for bit the book's TwoLayerNet (tested), and one
 * class means one code path for training, saving and loading.
 */
export function buildNetwork(kernels: Kernels, rng: Rng, s: NetworkSettings): MultiLayerNet {
  return new MultiLayerNet(
    kernels,
    { inputSize: s.inputSize, hiddenSizes: s.hidden, outputSize: s.outputSize, activation: s.activation, batchNorm: s.batchNorm, dropout: s.dropout, weightDecay: s.weightDecay },
    { rng, init: s.init, weightInitStd: s.weightInitStd },
  );
}

/** The network's settings from a config that has them (train's, search's): all but the input and output sizes. */
export function networkSettings(c: Omit<NetworkSettings, 'inputSize' | 'outputSize'>): Omit<NetworkSettings, 'inputSize' | 'outputSize'> {
  return { hidden: c.hidden, activation: c.activation, init: c.init, weightInitStd: c.weightInitStd, batchNorm: c.batchNorm, dropout: c.dropout, weightDecay: c.weightDecay };
}

/**
 * The net of a layer spec (`layers`, canonical, as resolved from --arch/--layers) over images of
 * rows x cols with one channel, or else the MLP of the settings; fresh weights from rng.
 */
export function buildAnyNetwork(kernels: Kernels, rng: Rng, s: NetworkSettings, layers: string | undefined, image: { rows: number; cols: number }): AnyNet {
  if (layers === undefined) return buildNetwork(kernels, rng, s);
  const net = new SequentialNet(
    kernels,
    { parts: parseLayerSpec(layers), input: { C: 1, H: image.rows, W: image.cols }, classes: s.outputSize },
    { rng, init: s.init, weightInitStd: s.weightInitStd },
  );
  // Weight decay lives in LayerStack, so a layer spec's net takes it as the MLP does.
  net.weightDecay = s.weightDecay ?? 0;
  return net;
}

/** "100,100,100" -> [100, 100, 100]; throws RangeError naming what is wrong. */
export function parseHidden(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => p === '')) throw new RangeError('must be a comma-separated list of layer sizes, e.g. 50 or 100,100,100');
  return parts.map((p) => {
    const n = Number(p);
    if (!/^\d+$/.test(p) || !Number.isSafeInteger(n) || n < 1) throw new RangeError(`must list positive integers, e.g. 100,100 (bad entry "${p}")`);
    if (n > 65536) throw new RangeError(`layer sizes must be at most 65536 (got ${n})`);
    return n;
  });
}
