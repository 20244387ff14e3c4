import { describe, expect, it } from 'vitest';
import { detectStyle } from '../../src/report/style.js';

describe('detectStyle', () => {
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
