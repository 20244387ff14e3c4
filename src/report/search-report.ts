import type { TrialEpoch, TrialResult } from '../train/search.js';
import type { Style } from './style.js';
import { renderTable } from './table.js';

/**
 * How `nn-train search` prints: a `trial` record per finished trial (its draw, its final
 * accuracies and its per-epoch curve), and at the end the best trials as a table or a `search`
 * record. Records read back (--summarize) go through trialFromRecord.
 */

export function trialRecord(t: TrialResult, searchSeed: number): object {
  return {
    type: 'trial',
    index: t.index,
    searchSeed,
    seed: t.seed,
    lr: t.lr,
    weightDecay: t.weightDecay,
    valAcc: t.valAcc,
    trainAcc: t.trainAcc,
    epochs: t.curve.map((e) => ({ epoch: e.epoch, loss: e.loss, trainAcc: e.trainAcc, valAcc: e.valAcc })),
  };
}

/** A `trial` record parsed back; null if `value` is not one (any other record is skipped). */
export function trialFromRecord(value: unknown): TrialResult | null {
  if (typeof value !== 'object' || value === null || (value as { type?: unknown }).type !== 'trial') return null;
  const r = value as Record<string, unknown>;
  const num = (v: unknown): number => (typeof v === 'number' ? v : v === null ? NaN : Number.NaN);
  if (!Number.isInteger(r.index) || !Array.isArray(r.epochs)) return null;
  const curve: TrialEpoch[] = (r.epochs as Array<Record<string, unknown>>).map((e) => ({ epoch: num(e.epoch), loss: num(e.loss), trainAcc: num(e.trainAcc), valAcc: num(e.valAcc) }));
  return { index: r.index as number, seed: num(r.seed), lr: num(r.lr), weightDecay: num(r.weightDecay), valAcc: num(r.valAcc), trainAcc: num(r.trainAcc), curve };
}

/** The line a finished trial gets on stderr without --json (trials are numbered from 0, as in the records and --shard). */
export function trialLine(t: TrialResult, trials: number): string {
  return `trial ${t.index} of 0..${trials - 1}: val acc ${t.valAcc.toFixed(4)}, train acc ${t.trainAcc.toFixed(4)} | lr ${t.lr.toExponential(3)}, weight decay ${t.weightDecay.toExponential(3)}`;
}

/** The best `top` of the ranked trials, as the book prints them ("Best-1(val acc:0.83) | lr:..., weight decay:..."), in a table. */
export function searchTable(ranked: readonly TrialResult[], top: number, style: Style): string {
  const rows = ranked.slice(0, top).map((t, k) => [k + 1, t.index, t.valAcc.toFixed(4), t.trainAcc.toFixed(4), t.lr.toExponential(3), t.weightDecay.toExponential(3)]);
  return renderTable(['rank', 'trial', 'val acc', 'train acc', 'lr', 'weight decay'], rows, style, ['right', 'right', 'right', 'right', 'right', 'right']);
}

/** The same as the table, for --json. */
export function searchRecord(ranked: readonly TrialResult[], top: number, finished: number, planned: number): object {
  return {
    type: 'search',
    finished,
    planned,
    best: ranked.slice(0, top).map((t, k) => ({ rank: k + 1, index: t.index, seed: t.seed, valAcc: t.valAcc, trainAcc: t.trainAcc, lr: t.lr, weightDecay: t.weightDecay })),
  };
}
