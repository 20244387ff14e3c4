import { describe, expect, it } from 'vitest';
import { downloadProgress, formatBytes } from '../../src/report/download-report.js';
import { detectStyle } from '../../src/report/style.js';

function sink() {
  const out: string[] = [];
  return { out, stream: { write: (s: string) => out.push(s) } };
}

describe('download progress on stderr', () => {
  const tty = { isTTY: true, columns: 80 };

  it('on a terminal: bytes and percent redrawn in place, then a done line', () => {
    const { out, stream } = sink();
    const p = downloadProgress(stream, detectStyle(tty, { color: false }, {}));
    p.onEvent({ type: 'download-start', file: 'a.gz', url: 'http://127.0.0.1:1/a.gz', totalBytes: 2_000_000 });
    p.onEvent({ type: 'download-progress', file: 'a.gz', receivedBytes: 2_000_000, totalBytes: 2_000_000 });
    p.onEvent({ type: 'download-done', file: 'a.gz', bytes: 2_000_000, md5: 'x' });
    expect(out).toEqual([
      '\r\x1b[Ka.gz: from http://127.0.0.1:1/a.gz',
      '\r\x1b[Ka.gz: 2.0 MB / 2.0 MB  100%',
      '\r\x1b[K',
      'downloaded a.gz (2.0 MB, md5 ok)\n',
    ]);
  });

  it('cuts a line to the terminal width so it redraws in place', () => {
    const { out, stream } = sink();
    const p = downloadProgress({ ...stream, columns: 20 }, detectStyle(tty, { color: false }, {}));
    p.onEvent({ type: 'download-start', file: 'a.gz', url: 'http://127.0.0.1:1/a.gz' });
    expect(out).toEqual(['\r\x1b[Ka.gz: from http://…']);
  });

  it('finish() clears a half-drawn line so an error starts clean', () => {
    const { out, stream } = sink();
    const p = downloadProgress(stream, detectStyle(tty, { color: false }, {}));
    p.onEvent({ type: 'download-progress', file: 'a.gz', receivedBytes: 500, totalBytes: undefined });
    p.finish();
    expect(out).toEqual(['\r\x1b[Ka.gz: 500 B', '\r\x1b[K']);
  });

  it('in a pipe: no progress at all, but warnings still', () => {
    const { out, stream } = sink();
    const p = downloadProgress(stream, detectStyle({ isTTY: false }, {}, {}));
    p.onEvent({ type: 'download-start', file: 'a.gz', url: 'u' });
    p.onEvent({ type: 'download-progress', file: 'a.gz', receivedBytes: 5, totalBytes: 10 });
    p.onEvent({ type: 'warning', message: 'something odd' });
    p.finish();
    expect(out).toEqual(['warning: something odd\n']);
  });

  it('formats sizes for people', () => {
    expect([formatBytes(999), formatBytes(28881), formatBytes(9912422)]).toEqual(['999 B', '28.9 kB', '9.9 MB']);
  });
});
