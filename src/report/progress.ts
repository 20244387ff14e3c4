/**
 * One line of live status on stderr (a progress bar, a phase), redrawn in place with a
 * carriage return. Only used when the Style says `live` (a terminal with a width): it never
 * writes a line wider than the terminal, so it never wraps and scrolls.
 */
export interface LiveStream {
  write(s: string): boolean;
  columns?: number;
}

export class ProgressLine {
  private shown = false;
  private lastDraw = 0;

  constructor(
    private readonly stream: LiveStream,
    private readonly minIntervalMs = 80,
  ) {}

  /** Redraws, at most every minIntervalMs unless `force`. */
  update(text: string, force = false): void {
    const now = performance.now();
    if (!force && this.shown && now - this.lastDraw < this.minIntervalMs) return;
    this.lastDraw = now;
    const width = Math.max((this.stream.columns ?? 80) - 1, 1);
    this.stream.write(`\r${truncateVisible(text, width)}\x1b[K`);
    this.shown = true;
  }

  /** Erases the line, so ordinary output can follow. */
  clear(): void {
    if (!this.shown) return;
    this.stream.write('\r\x1b[K');
    this.shown = false;
  }
}

/** A bar of `width` cells, `fraction` of them full. */
export function bar(fraction: number, width: number): string {
  const f = Math.min(Math.max(fraction, 0), 1);
  const full = Math.floor(f * width);
  const partials = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
  const rest = Math.floor((f * width - full) * 8);
  const head = full < width ? partials[rest] || ' ' : '';
  return '█'.repeat(full) + head + ' '.repeat(Math.max(width - full - 1, 0));
}

/** m:ss (or h:mm:ss) for an ETA. */
export function clock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Cuts a string to `width` visible characters, leaving ANSI colour codes intact. */
export function truncateVisible(text: string, width: number): string {
  let out = '';
  let visible = 0;
  for (let i = 0; i < text.length; ) {
    const m = /^\x1b\[[0-9;]*m/.exec(text.slice(i));
    if (m) {
      out += m[0];
      i += m[0].length;
      continue;
    }
    if (visible >= width) {
      i++;
      continue;
    }
    out += text[i];
    visible++;
    i++;
  }
  return out;
}
