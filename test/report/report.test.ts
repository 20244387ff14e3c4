import { describe, expect, it } from 'vitest';
import { resample, sparkChart } from '../../src/report/chart.js';
import { EpochTable } from '../../src/report/epoch-table.js';
import { bar, clock, ProgressLine, truncateVisible } from '../../src/report/progress.js';
import { toJsonLine } from '../../src/report/records.js';
import { detectStyle } from '../../src/report/style.js';
import { niceTicks, svgPlot } from '../../src/report/svg-plot.js';

const plain = detectStyle({ isTTY: false });
const epoch = (n: number, loss: number, trainAcc: number, testAcc: number) => ({
  type: 'epoch' as const,
  epoch: n,
  iteration: n * 600,
  loss,
  trainAcc,
  testAcc,
  seconds: 1.25,
  elapsedSeconds: n * 1.25,
});

describe('detectStyle (DESIGN.md section 3)', () => {
  const tty = { isTTY: true, columns: 80 };
  it('colour and live output on a terminal', () => {
    const s = detectStyle(tty, {}, {});
    expect(s.color).toBe(true);
    expect(s.live).toBe(true);
  });
  it('no colour for NO_COLOR, TERM=dumb, --no-color or a pipe', () => {
    expect(detectStyle(tty, {}, { NO_COLOR: '1' }).color).toBe(false);
    expect(detectStyle(tty, {}, { TERM: 'dumb' }).color).toBe(false);
    expect(detectStyle(tty, { color: false }, {}).color).toBe(false);
    expect(detectStyle({ isTTY: false }, {}, {}).color).toBe(false);
    expect(detectStyle({ isTTY: false }, {}, { FORCE_COLOR: '1' }).color).toBe(true);
  });
  it('no spinner or progress with 0 columns, --quiet, TERM=dumb or a pipe', () => {
    expect(detectStyle({ isTTY: true, columns: 0 }, {}, {}).live).toBe(false);
    expect(detectStyle(tty, { quiet: true }, {}).live).toBe(false);
    expect(detectStyle(tty, {}, { TERM: 'dumb' }).live).toBe(false);
    expect(detectStyle({ isTTY: false, columns: 80 }, {}, {}).live).toBe(false);
  });
  it('chalk emits nothing when colour is off', () => {
    expect(detectStyle(tty, { color: false }, {}).chalk.red('x')).toBe('x');
    expect(detectStyle(tty, {}, {}).chalk.red('x')).not.toBe('x');
  });
});

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
  it('has no ANSI codes when colour is off (cli-table3 colours borders by default)', () => {
    const t = new EpochTable(plain);
    expect(t.row(epoch(1, 1, 0.5, 0.5)) + t.end()).not.toMatch(/\x1b\[/);
  });
});

describe('terminal chart', () => {
  it('draws one sparkline per curve with its first and last values', () => {
    const out = sparkChart(
      [
        { label: 'loss', values: [2, 1, 0.5, 0.25], color: 'yellow', digits: 2 },
        { label: 'test acc', values: [0.5, 0.8, 0.9, 0.95], color: 'green', digits: 2 },
      ],
      plain,
    ).split('\n');
    expect(out[0]).toBe('loss      █▄▂▁  2.00 -> 0.25');
    expect(out[1]).toBe('test acc  ▁▆▇█  0.50 -> 0.95');
  });
  it('resamples long runs to the width by means', () => {
    expect(resample([1, 3, 5, 7], 2)).toEqual([2, 6]);
    expect(resample([1, 2], 5)).toEqual([1, 2]);
  });
});

describe('progress helpers', () => {
  it('bar fills in eighths and keeps its width', () => {
    expect(bar(0, 4)).toBe('    ');
    expect(bar(1, 4)).toBe('████');
    expect(bar(0.5, 4)).toBe('██  ');
    expect([...bar(0.3, 10)]).toHaveLength(10);
  });
  it('clock formats ETAs', () => {
    expect(clock(5)).toBe('0:05');
    expect(clock(125)).toBe('2:05');
    expect(clock(3725)).toBe('1:02:05');
    expect(clock(NaN)).toBe('--:--');
  });
  it('never writes a line wider than the terminal, colour codes aside', () => {
    expect(truncateVisible('\x1b[36mabcdef\x1b[39m', 3)).toBe('\x1b[36mabc\x1b[39m');
    const written: string[] = [];
    const line = new ProgressLine({ write: (s) => (written.push(s), true), columns: 10 }, 0);
    line.update('0123456789abcdef');
    line.clear();
    expect(written[0]).toBe('\r012345678\x1b[K');
    expect(written[1]).toBe('\r\x1b[K');
  });
});

describe('NDJSON lines', () => {
  it('turn NaN and unset values into null, keeping every key', () => {
    expect(toJsonLine({ type: 'summary', finalTestAcc: NaN, plot: undefined, loss: 0.5 })).toBe(
      '{"type":"summary","finalTestAcc":null,"plot":null,"loss":0.5}',
    );
  });
});

describe('SVG plot', () => {
  const svg = svgPlot([epoch(1, 0.7, 0.9, 0.91), epoch(2, 0.3, 0.95, 0.94), epoch(3, 0.2, 0.97, 0.96)], 'a <title> & more');
  it('is one well-formed SVG document with axes, labels and a legend', () => {
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg.match(/<svg /g)).toHaveLength(1);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    for (const text of ['train accuracy', 'test accuracy', 'training loss', '>epoch<', '>accuracy<']) expect(svg).toContain(text);
    expect(svg).toContain('a &lt;title&gt; &amp; more');
    expect(svg.match(/<polyline /g)).toHaveLength(3);
    // Every tag that opens closes: a crude but real well-formedness check.
    const opened = (svg.match(/<(svg|g)[ >]/g) ?? []).length;
    const closed = (svg.match(/<\/(svg|g)>/g) ?? []).length;
    expect(opened).toBe(closed);
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  });
  it('plots a single epoch without dividing by zero', () => {
    expect(svgPlot([epoch(1, 0.5, 0.9, 0.9)], 'one')).not.toMatch(/NaN|Infinity/);
  });
  it('picks round ticks', () => {
    expect(niceTicks(0.62, 0.97, 6)).toEqual([0.6, 0.7, 0.8, 0.9, 1]);
    expect(niceTicks(0, 17, 8)).toEqual([0, 5, 10, 15, 20]);
  });
});
