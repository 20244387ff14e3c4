import { trainingSplit, validationCount, type TrainingSplit } from '../../data/subset.js';
import type { Dataset } from '../../data/dataset.js';
import { UsageError } from '../../errors.js';

/**
 * --train-size and --validation-split applied to a loaded data set, after checking that they
 * fit it (the schema cannot: the set's size is known only now). Errors name the flag: exit 2.
 */
export function splitTrainingData(data: Dataset, opts: { trainSize?: number; validationSplit?: number }): TrainingSplit {
  const available = data.train.count;
  if (opts.trainSize !== undefined && opts.trainSize > available) {
    throw new UsageError(`--train-size must be at most ${available} (the ${data.info.name} training images), got ${opts.trainSize}`);
  }
  const total = opts.trainSize ?? available;
  if (opts.validationSplit !== undefined) {
    const held = validationCount(total, opts.validationSplit);
    if (held === 0) throw new UsageError(`--validation-split ${opts.validationSplit} holds out no image of ${total}`);
    if (held >= total) throw new UsageError(`--validation-split ${opts.validationSplit} leaves no training image of ${total}`);
  }
  return trainingSplit(data, opts.trainSize, opts.validationSplit);
}
