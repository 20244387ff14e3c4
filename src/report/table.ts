import type CliTable from 'cli-table3';
import { createRequire } from 'node:module';
import type { Style } from './style.js';

const require = createRequire(import.meta.url);
let tableClass: typeof CliTable | undefined;

/**
 * cli-table3's Table, loaded (synchronously: it is CommonJS) on the first table drawn, so a
 * --json run never pays for its start-up.
 */
export function cliTable(): typeof CliTable {
  tableClass ??= require('cli-table3') as typeof CliTable;
  return tableClass;
}

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
  const table = new (cliTable())({
    head: head.map((h) => style.chalk.bold(h)),
    style: style.color ? { head: ['cyan'], border: ['gray'], compact: true } : { head: [], border: [], compact: true },
    colAligns: align,
  });
  for (const row of rows) table.push(row.map(String));
  return table.toString();
}
