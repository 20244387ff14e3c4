import { Command, Option } from 'commander';
import { z } from 'zod';
import { DataOptions, OutputOptions } from '../../config.js';
import { confusionRecord, confusionTable } from '../../report/confusion-report.js';
import { toJsonLine } from '../../report/records.js';
import { confusionOf } from '../../train/confusion.js';
import { evaluate } from '../../train/evaluate.js';
import { writeOut } from '../output.js';
import { parseOptions } from '../parse-options.js';
import { checkModelFits, readModel, splitOf, withData } from './command-run.js';
import { addDataOptions, addOutputOptions } from './shared-options.js';

const EvalOptions = z
  .object({
    model: z.string({ error: 'is required (a .safetensors file from nn-train --save)' }).min(1, 'must name a file'),
    split: z.enum(['test', 'train'], { error: 'must be test or train' }).default('test'),
  })
  .extend(DataOptions.shape)
  .extend(OutputOptions.shape);

/** `nn-train eval --model FILE`: a saved model's accuracy and confusion matrix on a data set. */
export function evalCommand(): Command {
  const cmd = new Command('eval')
    .description('accuracy and confusion matrix of a saved model (.safetensors) on a data set')
    .option('--model <file>', 'the model, as written by nn-train --save')
    .addOption(new Option('--split <name>', 'test or train').default('test'));
  addDataOptions(cmd);
  addOutputOptions(cmd, 'print NDJSON: an eval record and a confusion record');
  return cmd
    .addHelpText(
      'after',
      `
Examples:
  $ nn-train --hidden 100,100 --optimizer adam --init he --epochs 5 --save m.safetensors
  $ nn-train eval --model m.safetensors
  $ nn-train eval --model m.safetensors --split train --json | jq .accuracy`,
    )
    .action(async (raw: Record<string, unknown>) => {
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
        writeOut(`Model ${opts.model}: ${model.net.architecture}, ${model.metadata.activation}, ${model.dtype}${saved}`);
        writeOut(`Accuracy on the ${record.name} ${opts.split} set: ${out.chalk.bold(accuracy.toFixed(4))} (${Math.round(accuracy * set.count).toLocaleString('en-US')} of ${set.count.toLocaleString('en-US')})`);
        writeOut(`\n${confusionTable(confusion, opts.split, out)}`);
      });
    });
}
