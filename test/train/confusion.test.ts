import { describe, expect, it } from 'vitest';
import type { ImageSet } from '../../src/data/dataset.js';
import { createKernels } from '../../src/kernels/index.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import { buildNetwork } from '../../src/network/build-network.js';
import { confusionRecord, confusionTable } from '../../src/report/confusion-report.js';
import { detectStyle } from '../../src/report/style.js';
import { accuracyOf, confusionMatrix, confusionOf, precisions, predictClasses, recalls } from '../../src/train/confusion.js';
import { evaluate } from '../../src/train/evaluate.js';
import { Rng } from '../../src/tensor/rng.js';

describe('confusion matrix', () => {
  const labels = [0, 0, 0, 1, 1, 2, 2, 2, 2];
  const predicted = [0, 0, 1, 1, 2, 2, 2, 0, 2];
  const c = confusionMatrix(labels, predicted, 3);

  it('counts (true, predicted) pairs, rows by true class', () => {
    expect(Array.from(c.counts)).toEqual([2, 1, 0, 0, 1, 1, 1, 0, 3]);
    expect(c.total).toBe(9);
    expect(c.correct).toBe(6);
    expect(accuracyOf(c)).toBeCloseTo(6 / 9, 15);
    expect(recalls(c)).toEqual([2 / 3, 1 / 2, 3 / 4]);
    expect(precisions(c)).toEqual([2 / 3, 1 / 2, 3 / 4]);
    expect(recalls(confusionMatrix([0], [0], 2))[1]).toBeNaN(); // no images of class 1
  });

  it('rejects mismatched lengths and out-of-range classes', () => {
    expect(() => confusionMatrix([0, 1], [0], 2)).toThrow('2 labels but 1 predictions');
    expect(() => confusionMatrix([0, 3], [0, 1], 3)).toThrow('outside 0..2');
  });

  it('prints a table and a JSON record', () => {
    const style = detectStyle({ isTTY: false }, { color: false });
    const table = confusionTable(c, 'test', style);
    expect(table).toContain('Confusion matrix, test set: 6 of 9 right (66.7%)');
    expect(table).toMatch(/│ 2\s+│\s+1 │\s+0 │\s+3 │\s+75\.0% │/);
    expect(table).not.toMatch(/\x1b\[/);
    const r = confusionRecord(c, 'test') as Record<string, unknown>;
    expect(r).toMatchObject({ type: 'confusion', split: 'test', classes: 3, total: 9, correct: 6, matrix: [[2, 1, 0], [0, 1, 1], [1, 0, 3]] });
  });

  const rng = new Rng(6);
  const count = 2503; // not a multiple of the chunk
  const images = new Uint8Array(count * 16).map(() => (rng.uniform() < 0.5 ? 0 : rng.int(256)));
  const labelsSet = new Uint8Array(count).map(() => rng.int(4));
  const set: ImageSet = { count, rows: 4, cols: 4, images, labels: labelsSet };

  it('agrees with evaluate() over a whole image set, chunk by chunk (reference kernels)', () => {
    const net = buildNetwork(referenceKernels('float32'), new Rng(2), { inputSize: 16, hidden: [8], outputSize: 4, activation: 'relu', init: 'he', weightInitStd: 0.01 });
    const m = confusionOf(net, set, 4);
    expect(m.total).toBe(count);
    expect(accuracyOf(m)).toBe(evaluate(net, set));
    let rowSum = 0;
    for (let j = 0; j < 4; j++) rowSum += m.counts[2 * 4 + j];
    expect(rowSum).toBe(labelsSet.filter((l) => l === 2).length);
  });

  for (const backend of ['js', 'auto'] as const) {
    it(`gives the reference's predictions and evaluate()'s count on the ${backend} backend`, async () => {
      const kernels = await createKernels({ dtype: 'float32', backend, threads: 2 });
      const spec = { inputSize: 16, hidden: [8, 6], outputSize: 4, activation: 'sigmoid', init: 'xavier', weightInitStd: 0.01 } as const;
      const fast = buildNetwork(kernels, new Rng(2), spec);
      const ref = buildNetwork(referenceKernels('float32'), new Rng(2), spec);
      const m = confusionOf(fast, set, 4);
      expect(Array.from(m.counts)).toEqual(Array.from(confusionOf(ref, set, 4).counts));
      expect(accuracyOf(m)).toBe(evaluate(fast, set));
      expect(Array.from(predictClasses(fast, set))).toEqual(Array.from(predictClasses(ref, set)));
      // Each image's arithmetic does not depend on the chunk it is scored in.
      for (const chunk of [1, 7, 1000]) expect(Array.from(predictClasses(fast, set, chunk))).toEqual(Array.from(predictClasses(fast, set)));
    });
  }
});
