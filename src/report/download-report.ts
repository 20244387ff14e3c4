import type { DataEvent, EnsureResult, FileStatus } from '../data/datasets.js';
import type { Style } from './style.js';
import { renderTable } from './table.js';

/** 9912422 -> "9.9 MB": sizes for people; the JSON keeps exact bytes. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  return `${(n / 1e6).toFixed(1)} MB`;
}

export function fileRecord(dataset: string, f: FileStatus): object {
  return {
    type: 'file',
    dataset,
    file: f.file,
    path: f.path,
    bytes: f.bytes,
    md5: f.md5,
    expectedMd5: f.expectedMd5 ?? null,
    check: f.check,
    ok: f.ok,
    source: f.source,
  };
}

export function summaryRecord(r: EnsureResult): object {
  return {
    type: 'summary',
    dataset: r.dataset,
    dir: r.dir,
    files: r.files.length,
    verified: r.files.filter((f) => f.ok).length,
    downloaded: r.files.filter((f) => f.source !== 'cache' && f.source !== 'system').length,
    ok: r.files.every((f) => f.ok),
  };
}

export function downloadTable(r: EnsureResult, style: Style): string {
  const { chalk } = style;
  const rows = r.files.map((f) => [
    f.file,
    formatBytes(f.bytes),
    f.md5,
    f.ok ? chalk.green(f.check === 'md5' ? 'ok' : 'ok (valid IDX)') : chalk.red('MISMATCH'),
    f.source === 'cache' ? 'cached' : f.source === 'system' ? `found in ${f.path.replace(/\/[^/]*$/, '')}` : 'downloaded',
  ]);
  return `${renderTable(['file', 'size', 'md5', 'ok', 'source'], rows, style, ['left', 'right', 'left', 'left', 'left'])}\n${r.dataset} in ${r.dir}`;
}

/**
 * Progress for downloads on stderr: one line per file redrawn in place (bytes and percent)
 * when `style.live`, nothing otherwise; warnings always, one line each. `finish` clears a
 * half-drawn line so an error message that follows starts on a clean line.
 */
export function downloadProgress(
  stream: { write(s: string): unknown; columns?: number },
  style: Style,
): { onEvent: (e: DataEvent) => void; finish: () => void } {
  let drawn = false;
  let lastDraw = 0;
  const clear = () => {
    if (drawn) stream.write('\r\x1b[K');
    drawn = false;
  };
  const draw = (text: string) => {
    // A line wider than the terminal wraps, and \r would then redraw only its last row.
    const width = (stream.columns ?? 0) - 1;
    stream.write(`\r\x1b[K${width > 0 && text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    drawn = true;
  };
  const onEvent = (e: DataEvent) => {
    if (e.type === 'warning') {
      clear();
      stream.write(`${style.chalk.yellow('warning:')} ${e.message}\n`);
      return;
    }
    if (!style.live) return;
    if (e.type === 'download-start') {
      draw(`${e.file}: from ${e.url}`);
    } else if (e.type === 'download-progress') {
      const now = Date.now();
      const done = e.totalBytes !== undefined && e.receivedBytes >= e.totalBytes;
      if (now - lastDraw < 80 && !done) return;
      lastDraw = now;
      const pct = e.totalBytes ? `  ${Math.floor((100 * e.receivedBytes) / e.totalBytes)}%` : '';
      const of = e.totalBytes ? ` / ${formatBytes(e.totalBytes)}` : '';
      draw(`${e.file}: ${formatBytes(e.receivedBytes)}${of}${pct}`);
    } else if (e.type === 'download-done') {
      clear();
      stream.write(`${style.chalk.green('downloaded')} ${e.file} (${formatBytes(e.bytes)}, md5 ok)\n`);
    }
  };
  return { onEvent, finish: clear };
}
