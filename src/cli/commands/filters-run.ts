import * as z from '../../zod.js';
import { RuntimeFailure } from '../../errors.js';
import { referenceKernels } from '../../kernels/reference.js';
import { loadModel } from '../../model/model-file.js';
import { INIT_NAMES, type InitName } from '../../network/names.js';
import { SequentialNet } from '../../network/sequential-net.js';
import { filtersSvg, type FilterGrid } from '../../report/filters-svg.js';
import { Rng } from '../../tensor/rng.js';
import { requireParentFolder, writeFileAtomic } from '../files.js';
import { parseOptions } from '../parse-options.js';

const FiltersOptions = z.object({
  model: z.string({ error: 'is required (a .safetensors convnet from nn-train --save)' }).check(z.minLength(1, 'must name a file')),
  out: z.string({ error: 'is required (the .svg file to write)' }).check(z.refine((v) => /\.svg$/i.test(v), 'must be a file name ending in .svg')),
  compareInit: z._default(z.boolean(), false),
});

/** `nn-train filters`: reads the model, draws its first convolution's filters, writes the SVG. */
export async function runFilters(raw: Record<string, unknown>): Promise<void> {
  const opts = parseOptions(FiltersOptions, raw);
  requireParentFolder('--out', opts.out);
  const { net, metadata } = await loadModel(opts.model, (dtype) => referenceKernels(dtype));
  const first = firstConv(net, opts.model);
  const grids: FilterGrid[] = [{ title: 'trained', ...first }];
  if (opts.compareInit) grids.unshift({ title: 'initial (same seed)', ...firstConv(initialNet(net as SequentialNet, metadata, opts.model), opts.model) });
  const caption = `${opts.model}: first convolution, ${first.FN} filters ${first.FH}x${first.FW}${first.C > 1 ? ' (channel 1)' : ''}`;
  writeFileAtomic(opts.out, filtersSvg(grids, caption));
  process.stderr.write(`Wrote ${opts.out}\n`);
}

/** The first convolution's filters and sizes, or a one-line failure when the model has none. */
function firstConv(net: { forwardLayers: readonly { op: { kind: string } }[] }, file: string): Omit<FilterGrid, 'title'> {
  const op = net.forwardLayers.map((l) => l.op).find((o) => o.kind === 'conv') as { W: { data: ArrayLike<number> }; shape: { FN: number; C: number; FH: number; FW: number } } | undefined;
  if (op === undefined) throw new RuntimeFailure(`model ${file} has no convolution layer (train one with --arch simple-convnet or --layers conv:...)`);
  const { FN, C, FH, FW } = op.shape;
  return { W: op.W.data, FN, C, FH, FW };
}

/** The net as training started it: the same spec, init and seed (recorded in the file). */
function initialNet(net: SequentialNet, metadata: Record<string, string>, file: string): SequentialNet {
  const seed = Number(metadata.seed);
  const init = metadata.init as InitName;
  const weightInitStd = Number(metadata.weightInitStd ?? '0.01');
  if (!Number.isInteger(seed) || !INIT_NAMES.includes(init) || !(weightInitStd > 0)) {
    throw new RuntimeFailure(`model ${file}: __metadata__ lacks the seed and init that --compare-init needs`);
  }
  return new SequentialNet(referenceKernels('float32'), net.spec, { rng: new Rng(seed), init, weightInitStd });
}
