import type { ImageSet } from '../data/dataset.js';
import { argmaxRow } from '../kernels/reference.js';
import type { Network } from '../network/network.js';
import type { Matrix } from '../tensor/matrix.js';
import { EVAL_CHUNK, forEachChunk } from '../kernels/images.js';
import type { ImageBatch } from '../kernels/kernels.js';

/**
 * A confusion matrix: counts[i * classes + j] is how many images of true class i the net
 * called j. The diagonal is what it got right; each row sums to that class's image count.
 */
export interface ConfusionMatrix {
  readonly classes: number;
  readonly counts: Int32Array; // counts: (classes, classes), row = true label, column = predicted
  readonly total: number;
  readonly correct: number;
}

/** Counts (label, prediction) pairs; pure. Labels or predictions outside 0..classes-1 throw. */
export function confusionMatrix(labels: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): ConfusionMatrix {
  if (labels.length !== predicted.length) throw new RangeError(`confusionMatrix: ${labels.length} labels but ${predicted.length} predictions`);
  const counts = new Int32Array(classes * classes);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i], y = predicted[i];
    if (!(t >= 0 && t < classes && y >= 0 && y < classes)) throw new RangeError(`confusionMatrix: pair ${i} (${t}, ${y}) is outside 0..${classes - 1}`);
    counts[t * classes + y]++;
    if (t === y) correct++;
  }
  return { classes, counts, total: labels.length, correct };
}

export function accuracyOf(c: ConfusionMatrix): number {
  return c.total === 0 ? NaN : c.correct / c.total;
}

/** Recall of each class: right / images of that class (NaN for a class with no images). */
export function recalls(c: ConfusionMatrix): number[] {
  return Array.from({ length: c.classes }, (_, i) => {
    let row = 0;
    for (let j = 0; j < c.classes; j++) row += c.counts[i * c.classes + j];
    return row === 0 ? NaN : c.counts[i * c.classes + i] / row;
  });
}

/** Precision of each class: right / images called that class (NaN when none was). */
export function precisions(c: ConfusionMatrix): number[] {
  return Array.from({ length: c.classes }, (_, j) => {
    let col = 0;
    for (let i = 0; i < c.classes; i++) col += c.counts[i * c.classes + j];
    return col === 0 ? NaN : c.counts[j * c.classes + j] / col;
  });
}

/**
 * The class the net picks for every image of the set (first max wins, as argmax), a chunk at
 * a time, with the images fed the kernels' own way (as the trainer does).
 */
export function predictClasses(net: Network, set: ImageSet, chunk = EVAL_CHUNK): Uint8Array {
  const predicted = new Uint8Array(set.count);
  const images = net.kernels.loadImages(set);
  let x: ImageBatch | null = null;
  forEachChunk(0, set.count, chunk, (start, end) => {
    const n = end - start;
    if (x === null || x.rows !== n) x = net.kernels.allocImages(n, set.rows * set.cols); // x: (n, 784)
    net.kernels.sliceImages(x, images, start);
    const scores = net.predict(x);
    for (let i = 0; i < n; i++) predicted[start + i] = argmaxRow(scores, i);
  });
  return predicted;
}

/** The confusion matrix of `net` over a whole image set. */
export function confusionOf(net: Network, set: ImageSet, classes: number): ConfusionMatrix {
  return confusionMatrix(set.labels, predictClasses(net, set), classes);
}
