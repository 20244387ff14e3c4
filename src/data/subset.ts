import type { Dataset, ImageSet } from './dataset.js';

/** The first `count` images of a set, as a view (no pixels are copied). */
export function firstImages(set: ImageSet, count: number): ImageSet {
  return sliceSet(set, 0, count);
}

/** Images [start, end) of a set, as a view. */
function sliceSet(set: ImageSet, start: number, end: number): ImageSet {
  const size = set.rows * set.cols;
  return {
    count: end - start,
    rows: set.rows,
    cols: set.cols,
    images: set.images.subarray(start * size, end * size),
    labels: set.labels.subarray(start, end),
  };
}

/** How many of `count` images a validation fraction holds out: int(count * fraction), as the book. */
export function validationCount(count: number, fraction: number): number {
  return Math.floor(count * fraction);
}

/** A data set's training images cut to the first `trainSize` (all if unset), the last `validationSplit` of them held out. */
export interface TrainingSplit {
  readonly data: Dataset; // data.train: the images trained on; data.test untouched
  readonly validation: ImageSet | null; // null without a validation split
}

/**
 * Section 6.5.1's split: the test set is kept for the very end, and hyperparameters are judged
 * on validation images taken from the training set. The last images are held out (the set is
 * not shuffled: the same flags always hold out the same images). Callers check the sizes first.
 */
export function trainingSplit(data: Dataset, trainSize: number | undefined, validationSplit: number | undefined): TrainingSplit {
  const total = trainSize ?? data.train.count;
  const held = validationSplit === undefined ? 0 : validationCount(total, validationSplit);
  const train = total === data.train.count && held === 0 ? data.train : sliceSet(data.train, 0, total - held);
  return {
    data: { ...data, train },
    validation: held === 0 ? null : sliceSet(data.train, total - held, total),
  };
}
