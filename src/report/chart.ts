import type { Style } from './style.js';

/** One curve for the terminal chart. */
export interface Series {
  label: string;
  values: number[];
  color: 'yellow' | 'cyan' | 'green';
  digits: number;
}

const LEVELS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/**
 * A small terminal chart: one sparkline per curve, one cell per epoch, each curve scaled to its
 * own range (loss falls, accuracies rise; their shapes are what a glance wants), with the first
 * and last values beside it. Long runs are resampled to `width` cells.
 */
export function sparkChart(series: Series[], style: Style, width = 48): string {
  const labelWidth = Math.max(...series.map((s) => s.label.length));
  return series
    .map((s) => {
      const values = resample(s.values, width);
      const finite = values.filter(Number.isFinite);
      const lo = Math.min(...finite);
      const hi = Math.max(...finite);
      const line = values
        .map((v) => (Number.isFinite(v) ? LEVELS[hi > lo ? Math.round(((v - lo) / (hi - lo)) * (LEVELS.length - 1)) : LEVELS.length - 1] : ' '))
        .join('');
      const first = s.values[0].toFixed(s.digits);
      const last = s.values[s.values.length - 1].toFixed(s.digits);
      return `${s.label.padEnd(labelWidth)}  ${style.chalk[s.color](line)}  ${first} -> ${last}`;
    })
    .join('\n');
}

/** At most `width` values, each the mean of the values it stands for. */
export function resample(values: number[], width: number): number[] {
  if (values.length <= width) return values;
  const out: number[] = [];
  for (let c = 0; c < width; c++) {
    const a = Math.floor((c * values.length) / width);
    const b = Math.floor(((c + 1) * values.length) / width);
    let sum = 0;
    for (let i = a; i < b; i++) sum += values[i];
    out.push(sum / (b - a));
  }
  return out;
}
