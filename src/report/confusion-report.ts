import { accuracyOf, precisions, recalls, type ConfusionMatrix } from '../train/confusion.js';
import type { Style } from './style.js';
import { cliTable } from './table.js';
import { thousands } from './thousands.js';

/** The `confusion` NDJSON record: matrix[true][predicted], plus the per-class rates. */
export function confusionRecord(c: ConfusionMatrix, split: string): object {
  const matrix = Array.from({ length: c.classes }, (_, i) => Array.from(c.counts.subarray(i * c.classes, (i + 1) * c.classes)));
  return {
    type: 'confusion',
    split,
    classes: c.classes,
    total: c.total,
    correct: c.correct,
    accuracy: accuracyOf(c),
    matrix, // rows: true class, columns: predicted class
    recall: recalls(c),
    precision: precisions(c),
  };
}

/**
 * A table with one row per true class and one column per predicted class; the diagonal
 * (right answers) in green, the largest mistake in each row in red, recall at the end of
 * each row and precision under each column.
 */
export function confusionTable(c: ConfusionMatrix, split: string, style: Style): string {
  const ch = style.chalk;
  const pct = (v: number) => (Number.isNaN(v) ? '-' : `${(v * 100).toFixed(1)}%`);
  const head = ['true \\ predicted', ...Array.from({ length: c.classes }, (_, j) => String(j)), 'recall'];
  const rows: string[][] = [];
  const recall = recalls(c);
  for (let i = 0; i < c.classes; i++) {
    const row = c.counts.subarray(i * c.classes, (i + 1) * c.classes);
    let worst = -1;
    for (let j = 0; j < c.classes; j++) if (j !== i && row[j] > 0 && (worst < 0 || row[j] > row[worst])) worst = j;
    rows.push([
      String(i),
      ...Array.from(row, (n, j) => (j === i ? ch.green(String(n)) : j === worst ? ch.red(String(n)) : n === 0 ? ch.dim('0') : String(n))),
      pct(recall[i]),
    ]);
  }
  rows.push(['precision', ...precisions(c).map(pct), ch.bold(pct(accuracyOf(c)))]);
  const title = `Confusion matrix, ${split} set: ${thousands(c.correct)} of ${thousands(c.total)} right (${pct(accuracyOf(c))})`;
  // Compact (no rule between rows): an 11-row grid reads better without them.
  const table = new (cliTable())({
    head: head.map((h) => ch.bold(h)),
    style: style.color ? { head: ['cyan'], border: ['gray'], compact: true } : { head: [], border: [], compact: true },
    colAligns: ['left', ...Array<'right'>(c.classes + 1).fill('right')],
  });
  for (const row of rows) table.push(row);
  return `${title}\n${table.toString()}`;
}
