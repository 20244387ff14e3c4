import type { DataOptionValues } from '../../config.js';
import type { Dataset } from '../../data/dataset.js';
import type { DatasetRecord } from '../../report/records.js';
import { detectStyle, type Style } from '../../report/style.js';
import type { CommandReporter, ReporterOptions } from '../../report/command-report.js';
import { loadData } from '../load-data.js';
import { setJsonErrors, stderrStream, stdoutStream, writeErr, writeOut } from '../output.js';
import { watchInterrupt, type Interrupt } from '../signals.js';

/** What a command that reads a data set needs around it: styles, a spinner, Ctrl-C. */
export interface CommandContext<R extends CommandReporter = CommandReporter> {
  out: Style;
  reporter: R;
  data: Dataset;
  record: DatasetRecord;
  interrupt: Interrupt; // Ctrl-C exits at once unless the body calls interrupt.training()
}

/**
 * Sets up output for one command (the spinner while the data set loads, JSON errors with
 * --json, Ctrl-C), loads the data set and runs `body`; always cleans up. `createReporter` is
 * createTrainReporter for training, createCommandReporter for the commands that print their
 * own results.
 */
export async function withData<R extends CommandReporter = CommandReporter>(
  opts: DataOptionValues & { json: boolean; quiet: boolean; color: boolean },
  body: (ctx: CommandContext<R>) => Promise<void> | void,
  createReporter: (o: ReporterOptions) => Promise<R>,
): Promise<void> {
  setJsonErrors(opts.json);
  const out = detectStyle(stdoutStream(), { color: opts.color, quiet: opts.quiet });
  const err = detectStyle(stderrStream(), { color: opts.color, quiet: opts.quiet });
  const reporter = await createReporter({ json: opts.json, quiet: opts.quiet, out, err, write: writeOut, note: writeErr, stderr: stderrStream() });
  const interrupt = watchInterrupt(() => reporter.close());
  try {
    reporter.loading(`Loading ${opts.dataset}`);
    const { data, record, seconds } = await loadData(opts, (e) => reporter.dataEvent(e));
    reporter.loaded(record, seconds);
    await body({ out, reporter, data, record, interrupt });
  } finally {
    reporter.close();
    interrupt.dispose();
  }
}
