import * as z from '../../zod.js';
import { DataOptions, ModelOptions, OutputOptions } from '../../config.js';
import { splitOf } from '../../data/dataset.js';
import { checkModelFits, readModel } from '../../model/saved-model.js';
import { createCommandReporter } from '../../report/command-report.js';
import { confusionRecord, confusionTable } from '../../report/confusion-report.js';
import { toJsonLine } from '../../report/records.js';
import { confusionOf } from '../../train/confusion.js';
import { evaluate } from '../../train/evaluate.js';
import { writeOut } from '../output.js';
import { parseOptions } from '../parse-options.js';
import { withData } from './with-data.js';

const EvalOptions = z.extend(ModelOptions, { ...DataOptions.shape, ...OutputOptions.shape });

/** `nn-train eval`: validates the raw flags, scores the model, prints accuracy and confusion. */
export async function runEval(raw: Record<string, unknown>): Promise<void> {
  const opts = parseOptions(EvalOptions, raw);
  const model = await readModel(opts.model); // a bad file fails before any data is read
  await withData(opts, ({ out, data, record }) => {
    checkModelFits(model, opts.model, data);
    const set = splitOf(data, opts.split);
    // The trainer's own scoring function, so the number matches what training reported.
    const accuracy = evaluate(model.net, set);
    const confusion = confusionOf(model.net, set, data.info.classes);
    if (opts.json) {
      const m = model.metadata;
      writeOut(toJsonLine({ type: 'eval', model: opts.model, architecture: model.net.architecture, activation: m.activation, dtype: model.dtype, metadata: m, dataset: record, split: opts.split, count: set.count, correct: Math.round(accuracy * set.count), accuracy }));
      writeOut(toJsonLine(confusionRecord(confusion, opts.split)));
      return;
    }
    const saved = model.metadata.accuracy !== undefined ? ` (saved with test accuracy ${model.metadata.accuracy} on ${model.metadata.dataset ?? 'an unnamed data set'})` : '';
    // A layer spec names its activations itself; an MLP's architecture does not.
    const activation = model.metadata.activation === 'layers' ? '' : `, ${model.metadata.activation}`;
    writeOut(`Model ${opts.model}: ${model.net.architecture}${activation}, ${model.dtype}${saved}`);
    writeOut(`Accuracy on the ${record.name} ${opts.split} set: ${out.chalk.bold(accuracy.toFixed(4))} (${Math.round(accuracy * set.count).toLocaleString('en-US')} of ${set.count.toLocaleString('en-US')})`);
    writeOut(`\n${confusionTable(confusion, opts.split, out)}`);
  }, createCommandReporter);
}
