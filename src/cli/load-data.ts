import type { DataOptionValues } from '../config.js';
import type { Dataset } from '../data/dataset.js';
import { loadDataset, type DataEvent } from '../data/datasets.js';
import { datasetRecord, type DatasetRecord } from '../report/records.js';
import { requireDataFolder } from './files.js';

/** Loads the data set the flags name, reporting progress through onEvent (the reporter's). */
export async function loadData(
  opts: DataOptionValues,
  onEvent: (e: DataEvent) => void,
): Promise<{ data: Dataset; record: DatasetRecord; seconds: number }> {
  requireDataFolder(opts);
  const started = performance.now();
  const data = await loadDataset({
    dataset: opts.dataset,
    dataDir: opts.dataDir,
    mirror: opts.mirror,
    offline: opts.offline,
    fallback: opts.fallback,
    onEvent,
  });
  const seconds = (performance.now() - started) / 1000;
  return { data, record: datasetRecord(data.info, data.train.count, data.test.count), seconds };
}
