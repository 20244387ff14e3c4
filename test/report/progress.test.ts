import { describe, expect, it } from 'vitest';
import { bar, clock, ProgressLine, truncateVisible } from '../../src/report/progress.js';

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
