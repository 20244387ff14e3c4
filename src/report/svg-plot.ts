/**
 * The `--plot FILE.svg` figure: train and test accuracy (left panel) and training loss (right
 * panel) against epochs, with axes, ticks, axis labels, a legend and a title. Plain SVG 1.1
 * text, no dependencies, readable in any browser. Pure: returns the document as a string.
 */
export interface PlotPoint {
  epoch: number;
  loss: number;
  trainAcc: number;
  testAcc: number;
}

interface Line {
  label: string;
  color: string;
  dash?: string;
  values: number[];
}

const W = 920;
const H = 400;
const PANEL_W = 360;
const PANEL_H = 260;
const TOP = 70;
const LEFT = [80, 540];

/** `scoredLabel` names the second accuracy curve ('validation accuracy' when the epochs scored one). */
export function svgPlot(points: PlotPoint[], title: string, scoredLabel = 'test accuracy'): string {
  const epochs = points.map((p) => p.epoch);
  // Legends go where the curves are not: accuracy rises (legend low), loss falls (legend high).
  const acc = panel(LEFT[0], 'accuracy', 'bottom', epochs, [
    { label: 'train accuracy', color: '#1f77b4', values: points.map((p) => p.trainAcc) },
    { label: scoredLabel, color: '#d62728', dash: '6 4', values: points.map((p) => p.testAcc) },
  ]);
  const loss = panel(LEFT[1], 'loss (mean over the epoch)', 'top', epochs, [
    { label: 'training loss', color: '#2ca02c', values: points.map((p) => p.loss) },
  ]);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="28" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    acc,
    loss,
    '</svg>',
    '',
  ].join('\n');
}

function panel(left: number, yLabel: string, legendAt: 'top' | 'bottom', epochs: number[], lines: Line[]): string {
  const xMin = Math.min(...epochs, 0);
  const xMax = Math.max(...epochs, 1);
  const all = lines.flatMap((l) => l.values).filter(Number.isFinite);
  let yMin = all.length > 0 ? Math.min(...all) : 0;
  let yMax = all.length > 0 ? Math.max(...all) : 1;
  if (yMax - yMin < 1e-9) {
    yMin -= 0.5 * Math.max(Math.abs(yMin), 0.01);
    yMax += 0.5 * Math.max(Math.abs(yMax), 0.01);
  }
  const yTicks = niceTicks(yMin, yMax, 6);
  const xTicks = niceTicks(xMin, xMax, 8).filter((v) => Number.isInteger(v));
  yMin = Math.min(yMin, yTicks[0]);
  yMax = Math.max(yMax, yTicks[yTicks.length - 1]);
  const sx = (x: number) => left + ((x - xMin) / (xMax - xMin)) * PANEL_W;
  const sy = (y: number) => TOP + PANEL_H - ((y - yMin) / (yMax - yMin)) * PANEL_H;
  const digits = decimalsFor(yTicks);
  const out: string[] = [`<g>`];
  // Grid and ticks.
  for (const t of yTicks) {
    const y = sy(t).toFixed(1);
    out.push(`<line x1="${left}" y1="${y}" x2="${left + PANEL_W}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${t.toFixed(digits)}</text>`);
  }
  for (const t of xTicks) {
    const x = sx(t).toFixed(1);
    out.push(`<line x1="${x}" y1="${TOP + PANEL_H}" x2="${x}" y2="${TOP + PANEL_H + 5}" stroke="black"/>`);
    out.push(`<text x="${x}" y="${TOP + PANEL_H + 18}" text-anchor="middle">${t}</text>`);
  }
  // Axes.
  out.push(`<line x1="${left}" y1="${TOP}" x2="${left}" y2="${TOP + PANEL_H}" stroke="black"/>`);
  out.push(`<line x1="${left}" y1="${TOP + PANEL_H}" x2="${left + PANEL_W}" y2="${TOP + PANEL_H}" stroke="black"/>`);
  out.push(`<text x="${left + PANEL_W / 2}" y="${TOP + PANEL_H + 40}" text-anchor="middle">epoch</text>`);
  const yMid = TOP + PANEL_H / 2;
  out.push(`<text x="${left - 56}" y="${yMid}" text-anchor="middle" transform="rotate(-90 ${left - 56} ${yMid})">${escapeXml(yLabel)}</text>`);
  // Curves, with a dot per evaluation (a one-epoch run is then still visible).
  for (const l of lines) {
    const pts = l.values.map((v, i) => [sx(epochs[i]), sy(v)] as const).filter(([, y]) => Number.isFinite(y));
    const d = pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
    out.push(`<polyline fill="none" stroke="${l.color}" stroke-width="2"${l.dash ? ` stroke-dasharray="${l.dash}"` : ''} points="${d}"/>`);
    for (const [x, y] of pts) out.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="2.5" fill="${l.color}"/>`);
  }
  // Legend, at the right inside the panel.
  const lx = left + PANEL_W - 150;
  const boxH = lines.length * 18 + 8;
  const boxY = legendAt === 'top' ? TOP + 6 : TOP + PANEL_H - 6 - boxH;
  out.push(`<rect x="${lx - 8}" y="${boxY}" width="150" height="${boxH}" fill="white" fill-opacity="0.9" stroke="#999"/>`);
  lines.forEach((l, i) => {
    const y = boxY + 13 + i * 18;
    out.push(`<line x1="${lx}" y1="${y}" x2="${lx + 24}" y2="${y}" stroke="${l.color}" stroke-width="2"${l.dash ? ` stroke-dasharray="${l.dash}"` : ''}/>`);
    out.push(`<text x="${lx + 30}" y="${y}" dominant-baseline="middle">${escapeXml(l.label)}</text>`);
  });
  out.push('</g>');
  return out.join('\n');
}

/** Round tick values (1, 2, 5 times a power of ten) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo;
  const raw = span / Math.max(count - 1, 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const start = Math.floor(lo / step) * step;
  const ticks: number[] = [];
  for (let v = start; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1] < hi) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

function decimalsFor(ticks: number[]): number {
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
  return Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] as string);
}
