import { readFileSync } from 'node:fs';
import * as z from '../../zod.js';
import { DataOptions, OutputOptions, ServeOptions } from '../../config.js';
import { RuntimeFailure, UsageError } from '../../errors.js';
import { PageSession } from '../../serve/page-session.js';
import { parseRunLog } from '../../serve/run-log.js';
import { setJsonErrors } from '../output.js';
import { parseOptions } from '../parse-options.js';
import { EXIT_INTERRUPTED, watchInterrupt } from '../signals.js';
import { checkModelFits, readModel } from '../../model/saved-model.js';
import { createCommandReporter } from '../../report/command-report.js';
import { startPage, untilAborted } from './page-server.js';
import { withData } from './with-data.js';

const ServeCommandOptions = z.extend(ServeOptions, {
  model: z.optional(z.string().check(z.minLength(1, 'must name a file'))),
  run: z.optional(z.string().check(z.minLength(1, 'must name a file'))),
  ...DataOptions.shape,
  ...OutputOptions.shape,
});

/**
 * `nn-train serve`: validates the flags, reads the model (and the test set it is scored on)
 * and the run's records, then serves the page until Ctrl-C (exit 130).
 */
export async function runServe(raw: Record<string, unknown>): Promise<void> {
  const opts = parseOptions(ServeCommandOptions, raw);
  setJsonErrors(opts.json);
  if (opts.model === undefined && opts.run === undefined) {
    throw new UsageError('needs --model FILE (a model from nn-train --save), --run FILE (the --json output of a training run), or both');
  }
  const records = opts.run === undefined ? [] : parseRunLog(readRunFile(opts.run), opts.run);
  const served = { model: opts.model ?? null, run: opts.run ?? null };

  if (opts.model === undefined) {
    // A run alone: its curves and confusion counts, no data set to load.
    const session = new PageSession(undefined);
    for (const r of records) session.record(r);
    const interrupt = watchInterrupt(() => {});
    interrupt.training(() => {}); // the first Ctrl-C resolves the wait below
    const server = await startPage(session, opts, served);
    await untilAborted(interrupt.signal);
    await server.close();
    process.exitCode = EXIT_INTERRUPTED;
    return;
  }

  const file = opts.model;
  const model = await readModel(file); // a bad file fails before any data is read, as in eval
  await withData(opts, async ({ data, record, interrupt }) => {
    checkModelFits(model, file, data);
    const session = new PageSession(data.test, [data.test.rows, data.test.cols]);
    session.scoreTestSet(model.net, data.info.classes);
    session.setModel(model.net, { source: 'file', file, architecture: model.net.architecture, activation: model.metadata.activation, dataset: record.name, metadata: model.metadata });
    for (const r of records) session.record(r);
    interrupt.training(() => {});
    const server = await startPage(session, opts, served);
    await untilAborted(interrupt.signal);
    await server.close();
    process.exitCode = EXIT_INTERRUPTED;
  }, createCommandReporter);
}

function readRunFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RuntimeFailure(`cannot read --run ${file}: ${code === 'ENOENT' ? 'no such file' : code ?? (err as Error).message}`);
  }
}
