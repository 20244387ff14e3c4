import { Command, Option } from 'commander';
import { z } from 'zod';
import { DataOptions, OutputOptions } from '../../config.js';
import { UsageError } from '../../errors.js';
import { argmaxRow } from '../../kernels/reference.js';
import { imageArt, predictionRecord, predictionText, type Prediction } from '../../report/predict-report.js';
import { toJsonLine } from '../../report/records.js';
import { writeOut } from '../output.js';
import { parseOptions } from '../parse-options.js';
import { checkModelFits, readModel, splitOf, withData } from './command-run.js';
import { addDataOptions, addOutputOptions } from './shared-options.js';

const PredictOptions = z
  .object({
    model: z.string({ error: 'is required (a .safetensors file from nn-train --save)' }).min(1, 'must name a file'),
    index: z.coerce
      .number({ error: 'must be a non-negative integer' })
      .refine((v) => Number.isSafeInteger(v) && v >= 0, 'must be a non-negative integer'),
    split: z.enum(['test', 'train'], { error: 'must be test or train' }).default('test'),
  })
  .extend(DataOptions.shape)
  .extend(OutputOptions.shape);

/** `nn-train predict --model FILE --index I`: one image, as text, and what the model makes of it. */
export function predictCommand(): Command {
  const cmd = new Command('predict')
    .description('show one image as text art with its true label and a saved model\'s top-3 classes')
    .option('--model <file>', 'the model, as written by nn-train --save')
    .option('--index <i>', 'which image of the split (0-based)')
    .addOption(new Option('--split <name>', 'test or train').default('test'));
  addDataOptions(cmd);
  addOutputOptions(cmd, 'print one prediction record (label, predicted, probabilities, top3)');
  return cmd
    .addHelpText(
      'after',
      `
Examples:
  $ nn-train predict --model m.safetensors --index 0
  $ nn-train predict --model m.safetensors --index 42 --split train --json`,
    )
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseOptions(PredictOptions, raw);
      const model = await readModel(opts.model);
      await withData(opts, ({ out, data }) => {
        checkModelFits(model, opts.model, data);
        const set = splitOf(data, opts.split);
        if (opts.index >= set.count) {
          throw new UsageError(`--index must be less than ${set.count} (the ${opts.split} images), got ${opts.index}`);
        }
        const { net } = model;
        const D = set.rows * set.cols;
        const x = net.kernels.allocImages(1, D); // x: (1, 784)
        net.kernels.sliceImages(x, net.kernels.loadImages(set), opts.index);
        const t = set.labels.subarray(opts.index, opts.index + 1);
        net.loss(x, t); // forward through softmax: the probabilities
        const probs = net.lastLayer.probabilities!;
        const p: Prediction = { index: opts.index, split: opts.split, label: t[0], predicted: argmaxRow(probs, 0), probabilities: Array.from(probs.data) };
        if (opts.json) writeOut(toJsonLine(predictionRecord(p)));
        else writeOut(predictionText(p, imageArt(set.images.subarray(opts.index * D, (opts.index + 1) * D), set.rows, set.cols), out));
      });
    });
}
