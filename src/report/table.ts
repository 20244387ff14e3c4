import Table from 'cli-table3';
import type { Style } from './style.js';

/**
 * A bordered table as a string, compact (no rule between rows, like the epoch table).
 * cli-table3 colours its borders and header even in a pipe, so with colour off we hand it
 * empty styles.
 */
export function renderTable(
  head: string[],
  rows: Array<Array<string | number>>,
  style: Style,
  align?: Array<'left' | 'right' | 'center'>,
): string {
  const table = new Table({
    head: head.map((h) => style.chalk.bold(h)),
    style: style.color ? { head: ['cyan'], border: ['gray'], compact: true } : { head: [], border: [], compact: true },
    colAligns: align,
  });
  for (const row of rows) table.push(row.map(String));
  return table.toString();
}
