import * as z from '../../zod.js';
import { BUNDLED_DATASET, DOWNLOADABLE_DATASETS } from '../../data/dataset-names.js';
import { ensureDataset } from '../../data/datasets.js';
import { normalizeMirror } from '../../data/download.js';
import { RuntimeFailure } from '../../errors.js';
import { downloadProgress, downloadTable, fileRecord, summaryRecord } from '../../report/download-report.js';
import { detectStyle } from '../../report/style.js';
import { requireDataFolder } from '../files.js';
import { parseOptions } from '../parse-options.js';
import { stderrStream, stdoutStream, writeOut } from '../output.js';

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
  dataset: z.enum(DOWNLOADABLE_DATASETS, { error: `must be ${DOWNLOADABLE_DATASETS.join(' or ')} (${BUNDLED_DATASET} is bundled)` }),
  // Default: <cache root>/<dataset> (src/data/data-dir.ts); made when missing.
  dataDir: z.optional(z.string().check(z.minLength(1, 'must not be empty'))),
  // Default: NN_TRAIN_MIRROR, else the built-in mirrors in order.
  mirror: z.optional(z.string().check(z.refine(isMirror, 'must be an http, https or file URL'))),
  // Seconds with no data before a mirror is given up on.
  timeout: z.coerce.number({ error: 'must be a number' }).check(z.refine((v) => Number.isFinite(v) && v > 0, 'must be > 0')),
  json: z.boolean(),
  color: z.boolean(),
  quiet: z.boolean(),
});

/** `nn-train download`: validates the raw flags, fetches and verifies, prints a table or NDJSON. */
export async function runDownload(raw: Record<string, unknown>): Promise<void> {
  const opts = parseOptions(DownloadOptions, raw);
  requireDataFolder(opts);
  const errStyle = detectStyle(stderrStream(), { color: opts.color, quiet: opts.quiet });
  const progress = downloadProgress(stderrStream(), errStyle);
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
    writeOut(downloadTable(result, detectStyle(stdoutStream(), { color: opts.color })));
  }
  const bad = result.files.filter((f) => !f.ok);
  if (bad.length > 0) {
    throw new RuntimeFailure(
      `${bad.length} of ${result.files.length} files in ${result.dir} failed verification (${bad.map((f) => f.file).join(', ')})`,
    );
  }
}
