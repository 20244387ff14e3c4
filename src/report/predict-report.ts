import type { Style } from './style.js';

/** One image's prediction, as the predict command reports it. */
export interface Prediction {
  index: number;
  split: string;
  label: number; // the true class
  predicted: number; // argmax of the probabilities
  probabilities: number[]; // softmax over the classes
}

export function topK(probabilities: number[], k: number): Array<{ class: number; probability: number }> {
  return probabilities
    .map((probability, c) => ({ class: c, probability }))
    .sort((a, b) => b.probability - a.probability || a.class - b.class)
    .slice(0, k);
}

export function predictionRecord(p: Prediction): object {
  return { type: 'prediction', ...p, correct: p.label === p.predicted, top3: topK(p.probabilities, 3) };
}

// Ten steps of ink, light to dark, in plain ASCII so any terminal and any pipe shows them.
const SHADES = ' .:-=+*#%@';

/** A (rows x cols) uint8 image as text, two characters per pixel so it keeps its shape. */
export function imageArt(pixels: Uint8Array, rows: number, cols: number): string {
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    let line = '';
    for (let c = 0; c < cols; c++) {
      const ch = SHADES[Math.min(SHADES.length - 1, Math.floor((pixels[r * cols + c] * SHADES.length) / 256))];
      line += ch + ch;
    }
    lines.push(line.trimEnd());
  }
  // Blank rows above and below the digit say nothing; blank columns stay, to keep its place.
  while (lines.length > 0 && lines[0] === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.join('\n');
}

export function predictionText(p: Prediction, art: string, style: Style): string {
  const ch = style.chalk;
  const verdict = p.label === p.predicted ? ch.green('right') : ch.red('wrong');
  const top = topK(p.probabilities, 3)
    .map((t, i) => `  ${i + 1}. ${t.class}  ${(t.probability * 100).toFixed(2).padStart(6)}%  ${ch.cyan('█'.repeat(Math.round(t.probability * 30)))}`)
    .join('\n');
  return `${art}\n\n${p.split} image ${p.index}: true label ${ch.bold(String(p.label))}, predicted ${ch.bold(String(p.predicted))} (${verdict})\n${top}`;
}
