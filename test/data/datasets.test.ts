import { createHash } from 'node:crypto';
import { readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bundledOrder } from '../../src/data/bundled.js';
import { defaultDataDir, ensureDataset, loadDataset, type DataEvent } from '../../src/data/datasets.js';
import { ChecksumError, DownloadError, downloadFile, md5HexInSlices } from '../../src/data/download.js';
import { encodeIdxImages, encodeIdxLabels } from '../../src/data/idx.js';
import { RuntimeFailure, UsageError } from '../../src/errors.js';
import { describeMnist, MNIST_DIR, MNIST_FILES, REPO_ROOT } from '../support/mnist.js';
import { cleanCache, closedPort, histogram, mnistMirror, MNIST_TEST_HIST, MNIST_TRAIN_HIST, scratchDirs } from '../support/mirror.js';

const ALL = Object.keys(MNIST_FILES).sort();
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

const scratch = scratchDirs();

describeMnist('MNIST through a local mirror (127.0.0.1)', () => {
  const mirror = mnistMirror();

  it('downloads, verifies and loads the full set; a second load downloads nothing', async () => {
    const dir = scratch();
    const events: DataEvent[] = [];
    const data = await loadDataset({ dataset: 'mnist', dataDir: dir, mirror: mirror.server.url, onEvent: (e) => events.push(e) });
    expect(data.info).toMatchObject({ name: 'mnist', requested: 'mnist', source: dir, classes: 10, trainCount: 60000, testCount: 10000 });
    expect(data.info.downloadedFrom).toBe(mirror.server.url);
    expect(data.train.count).toBe(60000);
    expect(data.test.count).toBe(10000);
    expect(histogram(data.train.labels)).toEqual(MNIST_TRAIN_HIST);
    expect(histogram(data.test.labels)).toEqual(MNIST_TEST_HIST);
    // The pixels are exactly MNIST's: re-encoded, they have the raw files' published MD5s.
    expect(md5(encodeIdxImages(data.train.images, 60000))).toBe('6bbc9ace898e44ae57da46a324031adb');
    expect(md5(encodeIdxImages(data.test.images, 10000))).toBe('2646ac647ad5339dbf082846283269ea');
    expect(md5(encodeIdxLabels(data.test.labels))).toBe('27ae3e4e09519cfbb04c329615203637');

    const done = events.filter((e) => e.type === 'download-done');
    expect(done.map((e) => (e as { md5: string }).md5).sort()).toEqual(Object.values(MNIST_FILES).sort());
    const progress = events.filter((e) => e.type === 'download-progress' && e.file === 'train-images-idx3-ubyte.gz');
    expect(progress.at(-1)).toMatchObject({ receivedBytes: 9912422, totalBytes: 9912422 });
    expect(cleanCache(dir)).toEqual(ALL);

    const before = mirror.server.requests.length;
    const again: DataEvent[] = [];
    const second = await loadDataset({ dataset: 'mnist', dataDir: dir, mirror: mirror.server.url, onEvent: (e) => again.push(e) });
    expect(mirror.server.requests.length).toBe(before);
    expect(again.map((e) => e.type)).toEqual(['cached', 'cached', 'cached', 'cached']);
    expect(second.info.downloadedFrom).toBeUndefined();
    expect(histogram(second.test.labels)).toEqual(MNIST_TEST_HIST);
  });

  it('uses a folder that already holds the files as is, offline, writing nothing', async () => {
    const data = await loadDataset({ dataset: 'mnist', dataDir: MNIST_DIR, offline: true });
    expect(data.info.source).toBe(MNIST_DIR);
    expect(histogram(data.train.labels)).toEqual(MNIST_TRAIN_HIST);
  });

  it('accepts raw (uncompressed) files and checks them against the raw MD5s', async () => {
    const dir = scratch();
    for (const f of ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz']) symlinkSync(path.join(MNIST_DIR, f), path.join(dir, f));
    for (const f of ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
      writeFileSync(path.join(dir, f), gunzipSync(readFileSync(path.join(MNIST_DIR, `${f}.gz`))));
    }
    const r = await ensureDataset({ dataset: 'mnist', dataDir: dir, offline: true });
    expect(r.files.map((f) => [f.file, f.ok, f.check, f.source])).toEqual([
      ['train-images-idx3-ubyte.gz', true, 'md5', 'cache'],
      ['train-labels-idx1-ubyte.gz', true, 'md5', 'cache'],
      ['t10k-images-idx3-ubyte', true, 'md5', 'cache'],
      ['t10k-labels-idx1-ubyte', true, 'md5', 'cache'],
    ]);
    const data = await loadDataset({ dataset: 'mnist', dataDir: dir, offline: true });
    expect(histogram(data.test.labels)).toEqual(MNIST_TEST_HIST);
  });

  it('downloads from a file: mirror', async () => {
    const dir = scratch();
    const r = await ensureDataset({ dataset: 'mnist', dataDir: dir, mirror: pathToFileURL(MNIST_DIR).href });
    expect(r.files.every((f) => f.ok && f.source.startsWith('file:'))).toBe(true);
    expect(cleanCache(dir)).toEqual(ALL);
  });

  it('tries mirrors in order: a refused one, then a working one', async () => {
    const dir = scratch();
    const dead = `http://127.0.0.1:${await closedPort()}/`;
    const got = await downloadFile({ name: 't10k-labels-idx1-ubyte.gz', md5: MNIST_FILES['t10k-labels-idx1-ubyte.gz'] }, dir, {
      mirrors: [dead, mirror.server.url],
      timeoutMs: 5000,
    });
    expect(got).toMatchObject({ bytes: 4542, url: `${mirror.server.url}t10k-labels-idx1-ubyte.gz` });
    expect(cleanCache(dir)).toEqual(['t10k-labels-idx1-ubyte.gz']);
  });

  it('follows a redirect', async () => {
    const dir = scratch();
    mirror.server.faults = { 't10k-labels-idx1-ubyte.gz': { kind: 'redirect', to: '/moved/t10k-labels-idx1-ubyte.gz' } };
    const r = await ensureDataset({ dataset: 'mnist', dataDir: dir, mirror: mirror.server.url });
    expect(r.files.every((f) => f.ok)).toBe(true);
    expect(mirror.server.requests).toContain('GET /moved/t10k-labels-idx1-ubyte.gz');
  });

  // Each fault: a clear one-line error, no fallback to mnist-10k, and nothing partial or corrupt left.
  const faults = [
    {
      name: 'a 404 on one file',
      fault: { 't10k-labels-idx1-ubyte.gz': { kind: 'status', status: 404 } },
      error: DownloadError,
      message: /^could not download t10k-labels-idx1-ubyte\.gz: http:\/\/127\.0\.0\.1:\d+\/t10k-labels-idx1-ubyte\.gz: HTTP 404 Not Found$/,
      left: ['t10k-images-idx3-ubyte.gz', 'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'],
    },
    {
      name: 'a connection dropped mid-file',
      fault: { 'train-images-idx3-ubyte.gz': { kind: 'truncate' } },
      error: DownloadError,
      message: /^could not download train-images-idx3-ubyte\.gz: \S+: the connection closed before the file was complete$/,
      left: [],
    },
    {
      name: 'a file cut short with no length (only the MD5 can tell)',
      fault: { 'train-labels-idx1-ubyte.gz': { kind: 'truncate', bytes: 20000, declareLength: false } },
      error: ChecksumError,
      message: /^train-labels-idx1-ubyte\.gz: checksum mismatch from \S+: expected md5 d53e105ee54ea40749a09fcbcd1e9432, got [0-9a-f]{32} \(20000 bytes\); nothing was saved$/,
      left: ['train-images-idx3-ubyte.gz'],
    },
    {
      name: 'flipped bytes',
      fault: { 't10k-images-idx3-ubyte.gz': { kind: 'flip' } },
      error: ChecksumError,
      message: /^t10k-images-idx3-ubyte\.gz: checksum mismatch from \S+: expected md5 9fb629c4189551a2d022fa330f9573f3, got [0-9a-f]{32} \(1648877 bytes\); nothing was saved$/,
      left: ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'],
    },
    {
      name: 'a redirect loop',
      fault: { 'train-labels-idx1-ubyte.gz': { kind: 'redirect', to: '/train-labels-idx1-ubyte.gz' } },
      error: DownloadError,
      message: /^could not download train-labels-idx1-ubyte\.gz: \S+: too many redirects$/,
      left: ['train-images-idx3-ubyte.gz'],
    },
  ] as const;

  for (const c of faults) {
    it(`${c.name}: ${c.error.name}, no fallback, a clean cache`, async () => {
      const dir = scratch();
      mirror.server.faults = { ...c.fault };
      const events: DataEvent[] = [];
      const err = await loadDataset({ dataset: 'mnist', dataDir: dir, mirror: mirror.server.url, onEvent: (e) => events.push(e) }).catch((e) => e);
      expect(err).toBeInstanceOf(c.error);
      expect(err).toBeInstanceOf(RuntimeFailure);
      expect(err.message).toMatch(c.message);
      expect(err.message).not.toContain('\n');
      if (err instanceof DownloadError) expect(err.unreachable).toBe(false);
      expect(events.some((e) => e.type === 'warning')).toBe(false);
      expect(cleanCache(dir)).toEqual(c.left);
    });
  }

  it('a server that stalls past the timeout: a timeout error, and the file is not kept', async () => {
    const dir = scratch();
    mirror.server.faults = { 'train-images-idx3-ubyte.gz': { kind: 'stall', afterBytes: 1000 } };
    const started = Date.now();
    const err = await ensureDataset({ dataset: 'mnist', dataDir: dir, mirror: mirror.server.url, timeoutMs: 300 }).catch((e) => e);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toMatch(/^could not download train-images-idx3-ubyte\.gz: \S+: timed out after 0\.3s with no data$/);
    expect(cleanCache(dir)).toEqual([]);
  });

  it('never overwrites a file that is there, but reports a wrong MD5 and a warning', async () => {
    const dir = scratch();
    for (const f of ALL) symlinkSync(path.join(MNIST_DIR, f), path.join(dir, f));
    rmSync(path.join(dir, 'train-labels-idx1-ubyte.gz'));
    writeFileSync(path.join(dir, 'train-labels-idx1-ubyte.gz'), readFileSync(path.join(MNIST_DIR, 't10k-labels-idx1-ubyte.gz')));
    const events: DataEvent[] = [];
    const r = await ensureDataset({ dataset: 'mnist', dataDir: dir, mirror: mirror.server.url, onEvent: (e) => events.push(e) });
    expect(r.files.map((f) => f.ok)).toEqual([true, false, true, true]);
    expect(events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message)).toEqual([
      `${dir}/train-labels-idx1-ubyte.gz is not the canonical mnist file (md5 ec29112dd5afa0611ce80d1b7f02629c, expected d53e105ee54ea40749a09fcbcd1e9432); delete it to download it again`,
    ]);
    // ... and loading it fails on the real problem: 10,000 labels for 60,000 images.
    await expect(loadDataset({ dataset: 'mnist', dataDir: dir, offline: true })).rejects.toThrow(
      'train-images-idx3-ubyte.gz holds 60000 images but train-labels-idx1-ubyte.gz holds 10000 labels',
    );
  });

  it('fashion-mnist looks in its read-only folders before downloading', async () => {
    // MNIST's files stand in for Debian's /usr/share/datasets/fashion-mnist: found, used, and
    // flagged, since their MD5s are not Fashion-MNIST's.
    const dir = scratch();
    const events: DataEvent[] = [];
    const before = mirror.server.requests.length;
    const data = await loadDataset({ dataset: 'fashion-mnist', dataDir: dir, mirror: mirror.server.url, searchDirs: [MNIST_DIR], onEvent: (e) => events.push(e) });
    expect(mirror.server.requests.length).toBe(before);
    expect(data.info).toMatchObject({ name: 'fashion-mnist', source: MNIST_DIR, trainCount: 60000 });
    expect(events.filter((e) => e.type === 'warning')).toHaveLength(4);
    expect(cleanCache(dir)).toEqual([]);
  });

  it('offline never touches the network (and falls back)', async () => {
    const dir = scratch();
    const before = mirror.server.requests.length;
    const events: DataEvent[] = [];
    const data = await loadDataset({ dataset: 'mnist', dataDir: dir, mirror: mirror.server.url, offline: true, onEvent: (e) => events.push(e) });
    expect(mirror.server.requests.length).toBe(before);
    expect(data.info.name).toBe('mnist-10k');
    expect(events.filter((e) => e.type === 'warning')).toHaveLength(1);
  });

  it('mnist-10k holds the first 10,000 MNIST training images, byte for byte', async () => {
    const real = await loadDataset({ dataset: 'mnist', dataDir: MNIST_DIR, offline: true });
    const bundled = await loadDataset({ dataset: 'mnist-10k' });
    // The k-th bundled image of digit d is the k-th d among MNIST's first 10,000.
    const firstOf: number[][] = Array.from({ length: 10 }, () => []);
    for (let i = 0; i < 10000; i++) firstOf[real.train.labels[i]].push(i);
    const counts = firstOf.map((l) => l.length);
    const order = bundledOrder(counts);
    for (const [set, from] of [[bundled.train, 0], [bundled.test, 8000]] as const) {
      for (let i = 0; i < set.count; i++) {
        const { digit, k } = order[from + i];
        expect(set.labels[i]).toBe(digit);
        const src = firstOf[digit][k] * 784;
        const a = set.images.subarray(i * 784, (i + 1) * 784);
        const b = real.train.images.subarray(src, src + 784);
        if (Buffer.compare(a, b) !== 0) throw new Error(`bundled image ${from + i} differs from MNIST train image ${firstOf[digit][k]}`);
      }
    }
  });
});

describe('md5HexInSlices', () => {
  it('is the MD5 of the whole, at every size around its 1 MB slices', async () => {
    const bytes = Uint8Array.from({ length: (3 << 20) + 7 }, (_, i) => (i * 2654435761) >>> 24);
    for (const n of [0, 1, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 2 << 20, bytes.length]) {
      const part = bytes.subarray(0, n);
      expect(await md5HexInSlices(part), `${n} bytes`).toBe(createHash('md5').update(part).digest('hex'));
    }
  });
});

describe('the cache folder', () => {
  it('is <root>/<dataset>, one folder per data set (test/data/data-dir.test.ts: how the root is chosen)', () => {
    // Both data sets have files named train-images-idx3-ubyte.gz: one root, two folders.
    const ctx = { env: { NN_TRAIN_DATA_DIR: '/srv/nn' }, platform: 'linux' as const, home: '/home/u', packageRoot: REPO_ROOT };
    expect(defaultDataDir('mnist', ctx)).toBe('/srv/nn/mnist');
    expect(defaultDataDir('fashion-mnist', ctx)).toBe('/srv/nn/fashion-mnist');
    expect(defaultDataDir('mnist', { ...ctx, env: {} })).toBe(path.join(REPO_ROOT, 'data', 'mnist'));
  });
});

describe('no network', () => {
  it('mnist falls back to mnist-10k with one warning, writing nothing', async () => {
    const dir = scratch();
    const mirror = `http://127.0.0.1:${await closedPort()}/`;
    const events: DataEvent[] = [];
    const data = await loadDataset({ dataset: 'mnist', dataDir: dir, mirror, timeoutMs: 2000, onEvent: (e) => events.push(e) });
    expect(data.info).toEqual({ name: 'mnist-10k', requested: 'mnist', source: 'bundled', classes: 10, trainCount: 8000, testCount: 2000 });
    const warnings = events.filter((e) => e.type === 'warning') as Array<{ message: string }>;
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toBe(
      `could not download train-images-idx3-ubyte.gz: ${mirror}train-images-idx3-ubyte.gz: connection refused; using mnist-10k instead (the first 10,000 MNIST training images bundled with the mnist package)`,
    );
    expect(cleanCache(dir)).toEqual([]);
  });

  it('with fallback off it is an error (exit code 1)', async () => {
    const dir = scratch();
    const mirror = `http://127.0.0.1:${await closedPort()}/`;
    const err = await loadDataset({ dataset: 'mnist', dataDir: dir, mirror, fallback: false }).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.exitCode).toBe(1);
    expect(err.unreachable).toBe(true);
    expect(err.message).toBe(`could not download train-images-idx3-ubyte.gz: ${mirror}train-images-idx3-ubyte.gz: connection refused`);
  });

  it('fashion-mnist never falls back to digits', async () => {
    const mirror = `http://127.0.0.1:${await closedPort()}/`;
    await expect(loadDataset({ dataset: 'fashion-mnist', dataDir: scratch(), mirror, searchDirs: [] })).rejects.toThrow(
      /^could not download train-images-idx3-ubyte\.gz: .*connection refused$/,
    );
  });

  it('a DNS failure counts as no network', async () => {
    const err = await downloadFile({ name: 'x.gz', md5: '0'.repeat(32) }, scratch(), {
      mirrors: ['http://nn-train-test.invalid/'],
      timeoutMs: 5000,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.unreachable).toBe(true);
    expect(err.message).toMatch(/host not found \(DNS lookup failed\)|DNS lookup failed \(EAI_AGAIN\)|timed out/);
  });

  it('a file: mirror without the file is an error, not a missing network', async () => {
    const empty = scratch();
    const err = await loadDataset({ dataset: 'mnist', dataDir: scratch(), mirror: pathToFileURL(empty).href }).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.unreachable).toBe(false);
    expect(err.message).toBe(`could not download train-images-idx3-ubyte.gz: ${pathToFileURL(empty).href}/train-images-idx3-ubyte.gz: file not found`);
  });

  it('a port fetch blocks is named as such', async () => {
    const err = await downloadFile({ name: 'x.gz', md5: '0'.repeat(32) }, scratch(), { mirrors: ['http://127.0.0.1:9/'], timeoutMs: 1000 }).catch((e) => e);
    expect(err.message).toBe('could not download x.gz: http://127.0.0.1:9/x.gz: fetch refuses to connect to this port (a blocked "bad port")');
  });

  it('rejects a mirror that is not http, https or file', async () => {
    await expect(loadDataset({ dataset: 'mnist', dataDir: scratch(), mirror: 'ftp://example.org/' })).rejects.toThrow(
      new UsageError('--mirror must be an http, https or file URL, got "ftp://example.org/"'),
    );
  });
});

describe('a data folder of crafted IDX files', () => {
  // Tiny sets (6 train, 4 test images) written to disk, loaded through the real path.
  const img = (n: number) => encodeIdxImages(Uint8Array.from({ length: n * 784 }, (_, i) => i % 256), n);
  const files = (over: Record<string, Uint8Array> = {}) => {
    const dir = scratch();
    const all: Record<string, Uint8Array> = {
      'train-images-idx3-ubyte': img(6),
      'train-labels-idx1-ubyte': encodeIdxLabels(Uint8Array.from([0, 1, 2, 3, 4, 5])),
      't10k-images-idx3-ubyte': img(4),
      't10k-labels-idx1-ubyte': encodeIdxLabels(Uint8Array.from([6, 7, 8, 9])),
      ...over,
    };
    for (const [name, bytes] of Object.entries(all)) writeFileSync(path.join(dir, name), bytes);
    return dir;
  };
  const load = (dir: string) => loadDataset({ dataset: 'mnist', dataDir: dir, offline: true, fallback: false });

  it('loads as is (with a warning per file that is not the canonical MNIST)', async () => {
    const events: DataEvent[] = [];
    const data = await loadDataset({ dataset: 'mnist', dataDir: files(), offline: true, onEvent: (e) => events.push(e) });
    expect([data.train.count, data.test.count]).toEqual([6, 4]);
    expect(Array.from(data.test.labels)).toEqual([6, 7, 8, 9]);
    expect(events.filter((e) => e.type === 'warning')).toHaveLength(4);
  });

  it.each([
    ['a label of 10', { 't10k-labels-idx1-ubyte': encodeIdxLabels(Uint8Array.from([6, 7, 10, 9])) }, 't10k-labels-idx1-ubyte: label 10 at index 2 is out of range 0..9'],
    ['more images than labels', { 'train-labels-idx1-ubyte': encodeIdxLabels(Uint8Array.from([0, 1, 2, 3, 4])) }, 'train-images-idx3-ubyte holds 6 images but train-labels-idx1-ubyte holds 5 labels'],
    ['an empty file', { 't10k-images-idx3-ubyte': new Uint8Array(0) }, 't10k-images-idx3-ubyte: the file is empty'],
    ['a truncated body', { 'train-images-idx3-ubyte': img(6).subarray(0, 16 + 5 * 784) }, 'train-images-idx3-ubyte: header says 6 images but the file holds 5 images'],
    ['swapped files (wrong magic)', { 'train-images-idx3-ubyte': encodeIdxLabels(Uint8Array.from([1])) }, 'train-images-idx3-ubyte: bad magic number 0x00000801, expected 0x00000803 for IDX images (this is a label file)'],
  ])('%s: an error naming the file', async (_name, over, message) => {
    await expect(load(files(over))).rejects.toThrow(new RuntimeFailure(message));
  });

  it('a .gz that is not gzip', async () => {
    const dir = files();
    rmSync(path.join(dir, 'train-labels-idx1-ubyte'));
    writeFileSync(path.join(dir, 'train-labels-idx1-ubyte.gz'), encodeIdxLabels(Uint8Array.from([0, 1, 2, 3, 4, 5])));
    await expect(load(dir)).rejects.toThrow(
      'train-labels-idx1-ubyte.gz: not gzip data (the name ends in .gz but the file does not start with 1f 8b)',
    );
  });
});

describe('mnist-10k', () => {
  it('is 8,000 + 2,000 images in a fixed order, each digit in proportion', async () => {
    const a = await loadDataset({ dataset: 'mnist-10k' });
    expect(a.info).toEqual({ name: 'mnist-10k', requested: 'mnist-10k', source: 'bundled', classes: 10, trainCount: 8000, testCount: 2000 });
    expect(histogram(a.train.labels)).toEqual([801, 902, 793, 826, 784, 690, 811, 856, 755, 782]);
    expect(histogram(a.test.labels)).toEqual([200, 225, 198, 206, 196, 173, 203, 214, 189, 196]);
    expect(a.train.images.length).toBe(8000 * 784);
    // Bytes, not rounded floats: the first image of the package's digit 0 starts with these.
    expect(Math.max(...a.train.images.subarray(0, 784 * 10))).toBe(255);
    const b = await loadDataset({ dataset: 'mnist-10k' });
    expect(Buffer.compare(a.train.images, b.train.images)).toBe(0);
    expect(Buffer.compare(a.test.labels, b.test.labels)).toBe(0);
  });
});
