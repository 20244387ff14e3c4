import { type Command, Option } from 'commander';
import { ARCH_PRESETS } from '../../defaults.js';
import { UsageError } from '../../errors.js';
import { archLayers, LayerSpecError, parseLayerSpec, planLayers, withOutputLayer, formatLayerSpec } from '../../network/layer-spec.js';
import { ARCH_NAMES, type ArchName } from '../../network/names.js';

/** The sizes every built-in data set's images have (one channel of 28 x 28) and its classes. */
const IMAGE = { C: 1, H: 28, W: 28 };
const CLASSES = 10;

export const LAYERS_HELP = `
Networks (--arch, --layers):
  mlp             the fully connected net of --hidden (the default)
  simple-convnet  conv:30x5,relu,pool:2,affine:100,relu,affine:10 (book ch. 7); Adam lr 0.001,
                  batch 100, 20 epochs, per-epoch accuracies on 1000 images
  deep-convnet    three [conv3x3, relu, conv3x3, relu, pool:2] blocks of 16, 32, 64 filters, then
                  affine:50,relu,dropout:0.5,affine:10,dropout:0.5 (book ch. 8); He init, as above
  --layers SPEC   your own net, comma separated: conv:<filters>x<size>[s<stride>][p<pad>],
                  pool:<size>[s<stride>], affine:<n>, relu, sigmoid, dropout:<ratio>.
                  affine:<classes> is added at the end unless the last affine has that many outputs.
  A preset's training settings apply unless a flag overrides them.`;

/** --arch and --layers (validated by NetworkOptions in src/config.ts, the spec by resolveLayers). */
export function addArchOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--arch <name>', `network: ${ARCH_NAMES.join(' | ')} (see below)`).default('mlp'))
    .addOption(new Option('--layers <spec>', 'a network of your own, e.g. conv:16x3p1,relu,pool:2,affine:100,relu (see below)'));
}

/**
 * The raw options with the preset of --arch filled in where the command line left a flag at
 * its default (commander says where each value came from), so a flag given always wins.
 */
export function applyArchPreset(raw: Record<string, unknown>, cmd: Command): Record<string, unknown> {
  const preset = (ARCH_PRESETS as Record<string, Record<string, unknown> | undefined>)[String(raw.arch)];
  if (preset === undefined) return raw;
  const applied = { ...raw };
  for (const [key, value] of Object.entries(preset)) {
    // An optimizer named on the command line brings its own default learning rate.
    if (key === 'lr' && cmd.getOptionValueSource('optimizer') === 'cli') continue;
    if (key in applied || cmd.options.some((o) => o.attributeName() === key)) {
      if (cmd.getOptionValueSource(key) !== 'cli') applied[key] = value;
    }
  }
  return applied;
}

/**
 * The layer spec the options describe, canonical and with its output layer (undefined for the
 * MLP of --hidden); a spec that does not parse or whose shapes do not chain from a 28x28 image
 * is a usage error naming the part.
 */
export function resolveLayers(options: { arch: ArchName; layers?: string }, cmd: Command): string | undefined {
  const text = options.layers ?? archLayers(options.arch);
  if (text === undefined) return undefined;
  for (const flag of ['hidden', 'activation']) {
    if (cmd.getOptionValueSource(flag) === 'cli') throw new UsageError(`--${flag} describes the MLP only; with ${options.layers !== undefined ? '--layers' : `--arch ${options.arch}`} the layers say it all`);
  }
  // The MLP's Dropout and BatchNorm go between its layers; a layer spec places its own (dropout:<ratio>).
  const withWhat = options.layers !== undefined ? '--layers' : `--arch ${options.arch}`;
  if (cmd.getOptionValueSource('dropout') === 'cli') throw new UsageError(`--dropout applies to the MLP only; with ${withWhat} put dropout:<ratio> in --layers instead`);
  if (cmd.getOptionValueSource('batchNorm') === 'cli') throw new UsageError(`--batch-norm applies to the MLP only; a layer spec's net (${withWhat}) has no batch norm layer`);
  try {
    const parts = parseLayerSpec(text);
    planLayers(parts, IMAGE, CLASSES);
    return formatLayerSpec(withOutputLayer(parts, CLASSES));
  } catch (err) {
    if (err instanceof LayerSpecError) throw new UsageError(`--layers: ${err.message}`);
    throw err;
  }
}
