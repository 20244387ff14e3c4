import type { ParamCheck } from '../network/gradient-check.js';
import type { Style } from './style.js';
import { renderTable } from './table.js';

/** Per parameter: mean and max |numerical - backprop|, and pass/fail against the tolerance. */
export function gradcheckTable(checks: ParamCheck[], tolerance: number, style: Style): string {
  const rows = checks.map((c) => [
    c.param,
    c.meanAbsDiff.toExponential(2),
    c.maxAbsDiff.toExponential(2),
    c.ok ? style.chalk.green('ok') : style.chalk.red('FAIL'),
  ]);
  return renderTable(['param', 'mean |diff|', 'max |diff|', `<= ${tolerance.toExponential(0)}`], rows, style, [
    'left',
    'right',
    'right',
    'center',
  ]);
}

/**
 * Why b2 differs by about 1e-7 when the others differ by 1e-10: the book's cross-entropy
 * computes log(y + 1e-7), but its analytic backward (y - t) / N is the derivative of log(y).
 * The numerical gradient sees the 1e-7; backprop does not. Said out loud, not hidden.
 */
export const B2_NOTE = [
  'Note: b2 typically shows ~1e-7 where W1, b1 and W2 show 1e-10 to 1e-8: the loss computes',
  "log(y + 1e-7) (the book's guard against log 0), and the analytic backward (y - t) / N ignores",
  "that 1e-7; the numerical gradient does not. The book's own notebook shows b2 at 1.4e-7 too.",
].join('\n');

export function gradcheckVerdict(checks: ParamCheck[], tolerance: number, count: number, style: Style, method = 'central differences'): string {
  const failed = checks.filter((c) => !c.ok).map((c) => c.param);
  return failed.length === 0
    ? style.chalk.green(`Gradient check passed: backprop matches ${method} within ${tolerance.toExponential()} on ${count} image(s), float64.`)
    : style.chalk.red(`Gradient check FAILED for ${failed.join(', ')}: max |numerical - backprop| above ${tolerance.toExponential()}.`);
}
