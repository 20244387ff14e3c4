import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { SearchConfigValues } from '../../config.js';
import { RuntimeFailure } from '../../errors.js';
import { createKernels } from '../../kernels/index.js';
import { createCommandReporter } from '../../report/command-report.js';
import { toJsonLine } from '../../report/records.js';
import { searchRecord, searchTable, trialFromRecord, trialLine, trialRecord } from '../../report/search-report.js';
import { detectStyle } from '../../report/style.js';
import { drawTrial, rankTrials, shardIndices, type TrialResult } from '../../train/search.js';
import { runTrial } from '../../train/trial.js';
import { requireParentFolder, writeFileAtomic } from '../files.js';
import { setJsonErrors, stdoutStream, writeErr, writeOut } from '../output.js';
import { EXIT_INTERRUPTED } from '../signals.js';
import { runTrialsInChildren } from './search-children.js';
import { splitTrainingData } from './training-split.js';
import { withData } from './with-data.js';

/**
 * `nn-train search`: trials (here, or in child processes), a record or line per finished
 * trial, then the best trials ranked. With --summarize: only the ranking, of records read back.
 */
export async function runSearch(config: SearchConfigValues): Promise<void> {
  setJsonErrors(config.json);
  requireParentFolder('--plot', config.plot);
  if (config.summarize !== undefined) return summarize(config, config.summarize);

  await withData(config, async ({ reporter, data: loaded, record, interrupt }) => {
    const { data, validation } = splitTrainingData(loaded, config);
    const shard = config.shard ?? { index: 1, count: 1 };
    const indices = shardIndices(config.trials, shard);
    const jobs = Math.max(1, Math.min(config.jobs ?? availableParallelism(), indices.length));
    const part = shard.count > 1 ? ` (shard ${shard.index}/${shard.count}: ${indices.length})` : '';
    reporter.notice(
      `Searching lr ${config.lr.text}, weight decay ${config.weightDecay.text}: ${config.trials} trials${part} of ${config.epochs} epochs on ` +
        `${data.train.count} ${record.name} images, judged on ${validation!.count}; ${jobs} process${jobs === 1 ? '' : 'es'}`,
    );
    const finished: TrialResult[] = [];
    const onTrial = (t: TrialResult): void => {
      finished.push(t);
      if (config.json) writeOut(toJsonLine(trialRecord(t, config.seed)));
      else writeErr(trialLine(t, config.trials));
    };
    let stopped = false;
    interrupt.training(() => reporter.notice('Stopping: unfinished trials are dropped (Ctrl-C again to quit at once)...', true));
    if (jobs === 1) {
      // One thread per process: trials run side by side in processes, not in threads.
      const kernels = await createKernels({ dtype: 'float32', threads: 1 });
      const plan = {
        network: { inputSize: data.train.rows * data.train.cols, outputSize: data.info.classes, hidden: config.hidden, activation: config.activation, init: config.init, weightInitStd: config.weightInitStd, batchNorm: config.batchNorm, dropout: config.dropout },
        optimizer: { optimizer: config.optimizer, momentum: config.momentum, beta1: config.beta1, beta2: config.beta2 },
        epochs: config.epochs,
        batchSize: config.batchSize,
      };
      for (const i of indices) {
        const result = await runTrial(kernels, data, validation!, plan, drawTrial(config.seed, i, config), interrupt.signal);
        if (result === null) break;
        onTrial(result);
      }
      stopped = interrupt.signal.aborted;
      await kernels.close();
    } else {
      stopped = await runTrialsInChildren(config, record.name, shard, jobs, interrupt.signal, onTrial);
    }
    reporter.close();
    await printRanking(config, finished, indices.length);
    if (stopped) process.exitCode = EXIT_INTERRUPTED;
  }, createCommandReporter);
}

/** The trial records in FILES (- for stdin), ranked as if one search had run them all. */
async function summarize(config: SearchConfigValues, files: string[]): Promise<void> {
  const trials: TrialResult[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
    } catch (err) {
      throw new RuntimeFailure(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue; // tables, notices: not records
      try {
        const trial = trialFromRecord(JSON.parse(line));
        if (trial !== null) trials.push(trial);
      } catch {
        // a line cut short (a search stopped mid-write): not a record
      }
    }
  }
  if (trials.length === 0) throw new RuntimeFailure(`no trial records in ${files.join(', ')}`);
  await printRanking(config, trials, trials.length);
}

/** The best trials as a table (or a `search` record), and the --plot grid. */
async function printRanking(config: SearchConfigValues, trials: TrialResult[], planned: number): Promise<void> {
  const ranked = rankTrials(trials);
  if (config.json) writeOut(toJsonLine(searchRecord(ranked, config.top, ranked.length, planned)));
  else if (ranked.length > 0) writeOut(searchTable(ranked, config.top, detectStyle(stdoutStream(), { color: config.color, quiet: config.quiet })));
  if (config.plot !== undefined && ranked.length > 0) {
    const { svgSearchGrid } = await import('../../report/search-plot.js');
    writeFileAtomic(config.plot, svgSearchGrid(ranked.slice(0, config.top), `nn-train search: best ${Math.min(config.top, ranked.length)} of ${ranked.length} trials`));
    if (!config.quiet) writeErr(`Wrote ${config.plot}`);
  }
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text;
}
