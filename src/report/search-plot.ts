import type { TrialResult } from '../train/search.js';
import { escapeXml } from './svg-plot.js';

/**
 * The `search --plot` figure, like the book's figure 6-24: a grid of small panels, one per
 * trial best first, each with its validation accuracy (solid) and training accuracy (dashed)
 * against epochs on a 0..1 scale. Plain SVG text, pure.
 */
const COLS = 5;
const CELL_W = 180;
const CELL_H = 140;
const PAD = { left: 30, right: 8, top: 22, bottom: 20 };

export function svgSearchGrid(trials: readonly TrialResult[], title: string): string {
  const rows = Math.max(1, Math.ceil(trials.length / COLS));
  const W = COLS * CELL_W;
  const H = rows * CELL_H + 50;
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="10">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${W / 2}" y="36" text-anchor="middle" fill="#555">solid: validation accuracy, dashed: training accuracy</text>`,
  ];
  trials.forEach((t, k) => out.push(cell(t, k, (k % COLS) * CELL_W, 44 + Math.floor(k / COLS) * CELL_H)));
  out.push('</svg>', '');
  return out.join('\n');
}

function cell(t: TrialResult, rank: number, x0: number, y0: number): string {
  const w = CELL_W - PAD.left - PAD.right;
  const h = CELL_H - PAD.top - PAD.bottom;
  const left = x0 + PAD.left, top = y0 + PAD.top;
  const n = Math.max(t.curve.length, 2);
  const sx = (i: number) => left + (i / (n - 1)) * w;
  const sy = (v: number) => top + h - Math.min(Math.max(v, 0), 1) * h;
  const line = (values: number[], color: string, dash: string) => {
    const pts = values.map((v, i) => [sx(i), sy(v)] as const).filter(([, y]) => Number.isFinite(y));
    return `<polyline fill="none" stroke="${color}" stroke-width="1.5"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}"/>`;
  };
  return [
    '<g>',
    `<text x="${left + w / 2}" y="${y0 + 14}" text-anchor="middle">Best-${rank + 1} (trial ${t.index}): val ${t.valAcc.toFixed(3)}</text>`,
    `<rect x="${left}" y="${top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`,
    ...[0, 0.5, 1].map((v) => `<text x="${left - 4}" y="${sy(v).toFixed(1)}" text-anchor="end" dominant-baseline="middle">${v}</text>`),
    `<text x="${left + w / 2}" y="${top + h + 14}" text-anchor="middle" fill="#555">lr ${t.lr.toExponential(1)}, wd ${t.weightDecay.toExponential(1)}</text>`,
    line(t.curve.map((e) => e.valAcc), '#1f77b4', ''),
    line(t.curve.map((e) => e.trainAcc), '#d62728', '4 3'),
    '</g>',
  ].join('\n');
}
