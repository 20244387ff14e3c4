import { createHash } from 'node:crypto';
import type { Dataset } from './dataset.js';

/** Enough about a data set to tell whether a resumed run trains on the same one. */
export interface DatasetFingerprint {
  name: string; // mnist | fashion-mnist | mnist-10k
  trainCount: number;
  testCount: number;
  labelsSha256: string; // of the training labels, then the test labels
}

/** The set's fingerprint; hashing its 70,000 labels takes well under a millisecond. */
export function fingerprintOf(data: Dataset): DatasetFingerprint {
  const labelsSha256 = createHash('sha256').update(data.train.labels).update(data.test.labels).digest('hex');
  return { name: data.info.name, trainCount: data.train.count, testCount: data.test.count, labelsSha256 };
}

/** Where two fingerprints differ, for a one-line error; null when they are the same. */
export function fingerprintDifference(saved: DatasetFingerprint, now: DatasetFingerprint): string | null {
  if (saved.name !== now.name) return `it was trained on ${saved.name}, this is ${now.name}`;
  if (saved.trainCount !== now.trainCount || saved.testCount !== now.testCount) {
    return `it was trained on ${saved.trainCount} training and ${saved.testCount} test images, this set has ${now.trainCount} and ${now.testCount}`;
  }
  if (saved.labelsSha256 !== now.labelsSha256) return `the labels differ from the ones it was trained on (sha256 ${now.labelsSha256.slice(0, 12)}..., not ${saved.labelsSha256.slice(0, 12)}...)`;
  return null;
}
