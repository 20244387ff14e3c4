import * as z from '../../zod.js';
import { DataOptions, ModelOptions, OutputOptions } from '../../config.js';
import { splitOf } from '../../data/dataset.js';
import { UsageError } from '../../errors.js';
import { argmaxRow } from '../../kernels/reference.js';
import { checkModelFits, readModel } from '../../model/saved-model.js';
import { createCommandReporter } from '../../report/command-report.js';
import { imageArt, predictionRecord, predictionText, type Prediction } from '../../report/predict-report.js';
import { toJsonLine } from '../../report/records.js';
import { writeOut } from '../output.js';
import { parseOptions } from '../parse-options.js';
import { withData } from './with-data.js';

const PredictOptions = z.extend(ModelOptions, {
  index: z.coerce
    .number({ error: 'must be a non-negative integer' })
    .check(z.refine((v) => Number.isSafeInteger(v) && v >= 0, 'must be a non-negative integer')),
  ...DataOptions.shape,
  ...OutputOptions.shape,
});

/** `nn-train predict`: validates the raw flags, runs the model on one image, prints it. */
export async function runPredict(raw: Record<string, unknown>): Promise<void> {
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
  }, createCommandReporter);
}
