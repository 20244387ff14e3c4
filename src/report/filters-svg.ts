/**
 * A convolution's filters as a grayscale grid (book section 7.6.1, ch07/visualize_filter.py):
 * one small square per filter, its first channel's weights scaled from its own smallest (white)
 * to its largest (black), as the book's gray_r images. Pure: numbers in, SVG text out.
 */

/** One grid of filters: W (FN, C*FH*FW) flattened, drawn channel 0 of each. */
export interface FilterGrid {
  title: string;
  W: ArrayLike<number>;
  FN: number;
  C: number;
  FH: number;
  FW: number;
}

const CELL = 6; // pixels per weight
const GAP = 4; // between filters
const PER_ROW = 10;

/** The grids side by side (e.g. trained beside initial), under a caption. */
export function filtersSvg(grids: readonly FilterGrid[], caption: string): string {
  const blocks: string[] = [];
  let x0 = GAP;
  let height = 0;
  for (const g of grids) {
    const cols = Math.min(PER_ROW, g.FN);
    const rows = Math.ceil(g.FN / cols);
    const w = cols * (g.FW * CELL + GAP);
    blocks.push(`<text x="${x0}" y="34" font-size="12">${escape(g.title)}</text>`);
    for (let f = 0; f < g.FN; f++) {
      const fx = x0 + (f % cols) * (g.FW * CELL + GAP);
      const fy = 42 + Math.floor(f / cols) * (g.FH * CELL + GAP);
      const base = f * g.C * g.FH * g.FW; // channel 0 of filter f
      let lo = Infinity, hi = -Infinity;
      for (let k = 0; k < g.FH * g.FW; k++) {
        lo = Math.min(lo, g.W[base + k]);
        hi = Math.max(hi, g.W[base + k]);
      }
      for (let i = 0; i < g.FH; i++) {
        for (let j = 0; j < g.FW; j++) {
          const v = g.W[base + i * g.FW + j];
          const level = Math.round(255 * (hi > lo ? 1 - (v - lo) / (hi - lo) : 0.5));
          blocks.push(`<rect x="${fx + j * CELL}" y="${fy + i * CELL}" width="${CELL}" height="${CELL}" fill="rgb(${level},${level},${level})"/>`);
        }
      }
    }
    height = Math.max(height, 42 + rows * (g.FH * CELL + GAP));
    x0 += w + 3 * GAP;
  }
  const width = Math.max(x0, 320);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + GAP}" viewBox="0 0 ${width} ${height + GAP}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${GAP}" y="16" font-size="13">${escape(caption)}</text>`,
    ...blocks,
    '</svg>',
    '',
  ].join('\n');
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
