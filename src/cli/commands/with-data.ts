import type { DataOptionValues } from '../../config.js';
import type { Dataset } from '../../data/dataset.js';
import type { DatasetRecord } from '../../report/records.js';
import { detectStyle, type Style } from '../../report/style.js';
import { type TrainReporter, createTrainReporter } from '../../report/train-report.js';
import { loadData } from '../load-data.js';
import { setJsonErrors, stderrStream, stdoutStream, writeErr, writeOut } from '../output.js';
import { watchInterrupt, type Interrupt } from '../signals.js';

/** What a command that reads a data set needs around it: styles, a spinner, Ctrl-C. */
export interface CommandContext {
  out: Style;
  reporter: TrainReporter;
  data: Dataset;
  record: DatasetRecord;
  interrupt: Interrupt; // Ctrl-C exits at once unless the body calls interrupt.training()
}

/**
 * Sets up output for one command (the spinner while the data set loads, JSON errors with
 * --json, Ctrl-C), loads the data set and runs `body`; always cleans up.
 */
export async function withData(
  opts: DataOptionValues & { json: boolean; quiet: boolean; color: boolean },
  body: (ctx: CommandContext) => Promise<void> | void,
): Promise<void> {
  setJsonErrors(opts.json);
  const out = detectStyle(stdoutStream(), { color: opts.color, quiet: opts.quiet });
  const err = detectStyle(stderrStream(), { color: opts.color, quiet: opts.quiet });
  const reporter = await createTrainReporter({ json: opts.json, quiet: opts.quiet, out, err, write: writeOut, note: writeErr, stderr: stderrStream() });
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
