import type { EpochEvent } from './records.js';
import type { Style } from './style.js';
import { cliTable } from './table.js';
import { thousands } from './thousands.js';

const HEAD = ['epoch', 'iteration', 'loss', 'train acc', 'test acc', 'seconds'];
// With a validation set the epochs score it instead of the test set (book 6.5.1).
const VAL_HEAD = HEAD.map((h) => (h === 'test acc' ? 'val acc' : h));
const WIDTHS = [7, 11, 9, 11, 10, 9];
const ALIGN: Array<'right'> = HEAD.map(() => 'right' as const);

/**
 * The per-epoch table, printed a row at a time as epochs finish (a 17-epoch run should not
 * stay silent until the end). Fixed column widths make each row's lines independent of the
 * others, so we render the header, each row and the bottom border separately.
 */
export class EpochTable {
  private started = false;

  constructor(private readonly style: Style) {}

  /** The lines for one more epoch (the header with the first). */
  row(e: EpochEvent): string {
    const cells = [
      String(e.epoch),
      thousands(e.iteration),
      e.loss.toFixed(4),
      e.trainAcc.toFixed(4),
      this.style.chalk.bold((e.valAcc ?? e.testAcc).toFixed(4)),
      e.seconds.toFixed(1),
    ];
    const lines = this.render([cells], false).split('\n');
    const body = lines.slice(1, -1).join('\n'); // without its own top and bottom borders
    if (this.started) return body;
    this.started = true;
    const head = this.render([], true, e.valAcc !== undefined).split('\n');
    return [...head.slice(0, -1), head[head.length - 1].replace('└', '├').replace('┘', '┤').replaceAll('┴', '┼'), body].join('\n');
  }

  /** The bottom border, if any row was printed. */
  end(): string | undefined {
    if (!this.started) return undefined;
    const lines = this.render([], true).split('\n');
    return lines[lines.length - 1];
  }

  private render(rows: string[][], withHead: boolean, validation = false): string {
    const table = new (cliTable())({
      head: withHead ? (validation ? VAL_HEAD : HEAD).map((h) => this.style.chalk.bold(h)) : [],
      colWidths: WIDTHS,
      colAligns: ALIGN,
      style: this.style.color ? { head: ['cyan'], border: ['gray'] } : { head: [], border: [] },
    });
    for (const r of rows) table.push(r);
    return table.toString();
  }
}
