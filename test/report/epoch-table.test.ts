import { describe, expect, it } from 'vitest';
import { EpochTable } from '../../src/report/epoch-table.js';
import { detectStyle } from '../../src/report/style.js';
import { epochEvent as epoch } from '../support/epoch-event.js';

const plain = detectStyle({ isTTY: false });

describe('EpochTable', () => {
  it('prints a header with the first row, one line per later row, and a bottom border', () => {
    const t = new EpochTable(plain);
    const first = t.row(epoch(1, 0.71234, 0.9, 0.91)).split('\n');
    expect(first).toHaveLength(4); // top, header, separator, row
    expect(first[1]).toMatch(/epoch .* iteration .* loss .* train acc .* test acc .* seconds/);
    expect(first[3]).toMatch(/│\s+1 │\s+600 │\s+0\.7123 │\s+0\.9000 │\s+0\.9100 │\s+1\.3 │/);
    const second = t.row(epoch(2, 0.3, 0.93, 0.931)).split('\n');
    expect(second).toHaveLength(1);
    expect(second[0]).toContain('1,200');
    expect(t.end()).toMatch(/^└─+┴/);
    // Every line of the table has the same width: the rows line up.
    const widths = new Set([...first, ...second, t.end()!].map((l) => [...l].length));
    expect(widths.size).toBe(1);
    expect(new EpochTable(plain).end()).toBeUndefined();
  });
  it('with a validation set shows val acc where test acc was', () => {
    const t = new EpochTable(plain);
    const lines = t.row({ ...epoch(1, 0.5, 0.8, NaN), valAcc: 0.75 }).split('\n');
    expect(lines[1]).toMatch(/train acc .* val acc .* seconds/);
    expect(lines[1]).not.toContain('test acc');
    expect(lines[3]).toMatch(/│\s+0\.8000 │\s+0\.7500 │/);
  });

  it('has no ANSI codes when colour is off (cli-table3 colours borders by default)', () => {
    const t = new EpochTable(plain);
    expect(t.row(epoch(1, 1, 0.5, 0.5)) + t.end()).not.toMatch(/\x1b\[/);
  });
});
