import type { LayerGradStats } from '../network/grad-stats.js';
import type { Style } from './style.js';
import { renderTable } from './table.js';

/** The `gradStats` NDJSON record of one layer. */
export function gradStatsRecord(s: LayerGradStats): object {
  return { type: 'gradStats', ...s };
}

/** First layer's gradient norm over the last layer's: far below 1 means the gradient vanishes on its way in. */
export function inputToOutputRatio(stats: LayerGradStats[]): number {
  return stats[0].gradNorm / stats[stats.length - 1].gradNorm;
}

/**
 * One row per Affine layer, input side first: weight and gradient norms, a bar of the
 * gradient norm on a log scale (the largest layer's is 20 long, each factor of 10 below it
 * takes 2 off, so a vanishing gradient is a staircase), and the spread of the activations
 * that follow the layer. Then one sentence that reads the table.
 */
export function gradStatsTable(stats: LayerGradStats[], style: Style): string {
  const ch = style.chalk;
  const max = Math.max(...stats.map((s) => s.gradNorm));
  const bar = (v: number) => {
    const n = max > 0 && v > 0 ? Math.max(0, Math.round(20 + 2 * Math.log10(v / max))) : 0;
    return n > 0 ? ch.cyan('█'.repeat(n)) : ch.dim('·');
  };
  const sci = (v: number) => v.toExponential(2);
  const fixed = (v: number | null) => (v === null ? '' : v.toFixed(4));
  const act = stats.find((s) => s.activation !== null)?.activation ?? null;
  const stuck = act === 'relu' ? 'dead (=0)' : 'saturated';
  const rows = stats.map((s) => [
    s.name,
    `${s.inputs}x${s.outputs}`,
    sci(s.weightNorm),
    sci(s.gradNorm),
    bar(s.gradNorm),
    sci(s.gradRatio),
    s.activation ?? 'softmax',
    fixed(s.actMean),
    fixed(s.actStd),
    s.saturated === null ? '' : `${(s.saturated * 100).toFixed(1)}%`,
  ]);
  const table = renderTable(
    ['layer', 'W shape', '||W||', '||dW||', '||dW||, log scale', '||dW||/||W||', 'then', 'act mean', 'act std', stuck],
    rows,
    style,
    ['left', 'right', 'right', 'right', 'left', 'right', 'left', 'right', 'right', 'right'],
  );
  const ratio = inputToOutputRatio(stats);
  const verdict =
    ratio < 0.01
      ? ch.yellow(`||dW1|| is ${sci(ratio)} of ||dW${stats.length}||: the gradient vanishes on its way to the input layer.`)
      : `||dW1|| is ${sci(ratio)} of ||dW${stats.length}||: the gradient reaches the input layer.`;
  return `${table}\n${verdict}`;
}
