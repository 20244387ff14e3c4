/**
 * A labelled image set as it lives in memory: uint8 pixels, row-major, one image after
 * another (47 MB for MNIST's 60,000 training images). Conversion to floats happens per
 * batch, so the float copy of the whole set never exists.
 */
export interface ImageSet {
  readonly count: number;
  readonly rows: number; // 28
  readonly cols: number; // 28
  readonly images: Uint8Array; // images: (count, rows * cols)
  readonly labels: Uint8Array; // labels: (count), each in 0..classes-1
}

/** Where a data set actually came from, as reported in the `config` record. */
export interface DatasetInfo {
  readonly name: string; // mnist | fashion-mnist | mnist-10k
  readonly requested: string; // what the user asked for (differs after an offline fallback)
  readonly source: string; // a folder, a URL, or "bundled"
  readonly classes: number;
  readonly trainCount?: number; // train.count, repeated here for the config record
  readonly testCount?: number;
  readonly downloadedFrom?: string; // the mirror, when files were downloaded this run
}

export interface Dataset {
  readonly info: DatasetInfo;
  readonly train: ImageSet;
  readonly test: ImageSet;
}

/** The training or the test images of a data set. */
export function splitOf(data: Dataset, split: 'train' | 'test'): ImageSet {
  return split === 'train' ? data.train : data.test;
}

/** Pixels per image. */
export function imageSize(set: ImageSet): number {
  return set.rows * set.cols;
}
