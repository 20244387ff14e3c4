import { RuntimeFailure } from '../errors.js';

/** The record types of a training run's --json output that the page draws. */
const RUN_TYPES = new Set(['config', 'epoch', 'summary', 'confusion']);

/**
 * A finished run's records from its NDJSON file (the `--json` output of `nn-train train`),
 * in order. Other record types (serve, error, ...) are passed over; a line that is not a JSON
 * object, or a file without any run record, is a one-line error naming the file and line.
 */
export function parseRunLog(text: string, file: string): object[] {
  const records: object[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new RuntimeFailure(`--run ${file}: line ${i + 1} is not JSON`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as { type?: unknown }).type !== 'string') {
      throw new RuntimeFailure(`--run ${file}: line ${i + 1} is not a record (a JSON object with a "type")`);
    }
    if (RUN_TYPES.has((value as { type: string }).type)) records.push(value);
  });
  if (!records.some((r) => (r as { type: string }).type === 'epoch' || (r as { type: string }).type === 'config')) {
    throw new RuntimeFailure(`--run ${file}: holds no config or epoch record (is it the --json output of nn-train train?)`);
  }
  return records;
}
