import { Command } from 'commander';
import { z } from 'zod';
import { ensureDataset } from '../../data/datasets.js';
import { normalizeMirror } from '../../data/download.js';
import { RuntimeFailure } from '../../errors.js';
import { downloadProgress, downloadTable, fileRecord, summaryRecord } from '../../report/download-report.js';
import { detectStyle } from '../../report/style.js';
import { parseOptions } from '../parse-options.js';
import { writeOut } from '../output.js';

const isMirror = (v: string): boolean => {
  try {
    normalizeMirror(v);
    return true;
  } catch {
    return false;
  }
};

const DownloadOptions = z.object({
  // mnist-10k ships with the mnist package: there is nothing to download.
  dataset: z.enum(['mnist', 'fashion-mnist'], { error: 'must be mnist or fashion-mnist (mnist-10k is bundled)' }),
  // Default: NN_TRAIN_DATA_DIR, else <project>/data/<dataset>.
  dataDir: z.string().min(1, 'must not be empty').optional(),
  // Default: NN_TRAIN_MIRROR, else the built-in mirrors in order.
  mirror: z.string().refine(isMirror, 'must be an http, https or file URL').optional(),
  // Seconds with no data before a mirror is given up on.
  timeout: z.coerce.number({ error: 'must be a number' }).refine((v) => Number.isFinite(v) && v > 0, 'must be > 0'),
  json: z.boolean(),
  color: z.boolean(),
  quiet: z.boolean(),
});

export function downloadCommand(): Command {
  return new Command('download')
    .description('download and verify a data set (MD5 of each of the four files); a second run downloads nothing')
    .option('--dataset <name>', 'mnist | fashion-mnist', 'mnist')
    .option('--data-dir <dir>', 'folder for the four files (default: $NN_TRAIN_DATA_DIR or data/<dataset>)')
    .option('--mirror <url>', 'base URL to fetch from, http(s) or file (default: $NN_TRAIN_MIRROR or the built-in mirrors)')
    .option('--timeout <sec>', 'give up on a mirror after this many seconds without data', '30')
    .option('--json', 'one JSON object per file and a summary, instead of a table', false)
    .option('--no-color', 'no ANSI colours')
    .option('--quiet', 'no progress on stderr', false)
    .addHelpText(
      'after',
      `
Examples:
  $ nn-train download                                   # MNIST into data/mnist
  $ nn-train download --dataset fashion-mnist --json
  $ nn-train download --mirror http://127.0.0.1:8000/ --data-dir /tmp/mnist`,
    )
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseOptions(DownloadOptions, raw);
      const errStyle = detectStyle(process.stderr, { color: opts.color, quiet: opts.quiet });
      const progress = downloadProgress(process.stderr, errStyle);
      let result;
      try {
        result = await ensureDataset({
          dataset: opts.dataset,
          dataDir: opts.dataDir,
          mirror: opts.mirror,
          timeoutMs: opts.timeout * 1000,
          onEvent: progress.onEvent,
        });
      } finally {
        progress.finish();
      }
      if (opts.json) {
        for (const f of result.files) writeOut(JSON.stringify(fileRecord(result.dataset, f)));
        writeOut(JSON.stringify(summaryRecord(result)));
      } else {
        writeOut(downloadTable(result, detectStyle(process.stdout, { color: opts.color })));
      }
      const bad = result.files.filter((f) => !f.ok);
      if (bad.length > 0) {
        throw new RuntimeFailure(
          `${bad.length} of ${result.files.length} files in ${result.dir} failed verification (${bad.map((f) => f.file).join(', ')})`,
        );
      }
    });
}
