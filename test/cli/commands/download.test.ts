import { existsSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeMnist, MNIST_DIR, MNIST_FILES, REPO_ROOT } from '../../support/mnist.js';
import { startStaticServer, type Fault, type StaticServer } from '../../support/static-server.js';
import { collect, oneLineError, run, start, type Run } from '../../support/run-cli.js';
import { cleanCache, closedPort, mnistMirror, scratchDirs } from '../../support/mirror.js';

// `nn-train download` (and the fallback of the default command) as a real child process.

const ALL = Object.keys(MNIST_FILES).sort();

const scratch = scratchDirs('nn-cli-');

/** Runs the CLI and sends it Ctrl-C once its download is under way (the server has a request). */
async function interruptOnceRequested(server: StaticServer, args: string[]): Promise<Run> {
  const before = server.requests.length;
  const child = start(args);
  const done = collect(child);
  while (server.requests.length === before) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 300));
  child.kill('SIGINT');
  return done;
}

beforeAll(() => {
  // Like the other CLI tests, these run the built program, which test/support/build.ts builds
  // once before any test starts (building here would rewrite dist/ under other tests' feet).
  if (!existsSync(path.join(REPO_ROOT, 'dist/nn-train.js'))) throw new Error('dist/nn-train.js is missing: the vitest global setup should have built it');
});

describeMnist('nn-train download against a local mirror', () => {
  const mirror = mnistMirror();

  it('leaves the four canonical files, and a second run downloads nothing', async () => {
    const dir = scratch();
    const first = await run(['download', '--mirror', mirror.server.url, '--data-dir', dir]);
    expect(first.stderr).toBe('');
    expect(first.code, first.stderr).toBe(0);
    for (const [file, md5] of Object.entries(MNIST_FILES)) expect(first.stdout).toMatch(new RegExp(`${file}.*${md5}.*ok.*downloaded`));
    expect(first.stdout).not.toMatch(/\x1b\[/);
    expect(cleanCache(dir)).toEqual(ALL);

    const before = mirror.server.requests.length;
    const second = await run(['download', '--mirror', mirror.server.url, '--data-dir', dir, '--json']);
    expect(second.code, second.stderr).toBe(0);
    expect(mirror.server.requests.length).toBe(before);
    const records = second.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(records.slice(0, 4).map((r) => [r.type, r.file, r.md5, r.ok, r.source])).toEqual(
      Object.entries(MNIST_FILES).map(([f, m]) => ['file', f, m, true, 'cache']),
    );
    expect(records[4]).toEqual({ type: 'summary', dataset: 'mnist', dir, files: 4, verified: 4, downloaded: 0, ok: true });
  });

  it('takes the mirror from NN_TRAIN_MIRROR and the cache root from NN_TRAIN_DATA_DIR (files in <root>/<dataset>)', async () => {
    const root = scratch();
    const r = await run(['download', '--json'], { NN_TRAIN_MIRROR: mirror.server.url.replace(/\/$/, ''), NN_TRAIN_DATA_DIR: root });
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(root)).toEqual(['mnist']);
    expect(cleanCache(path.join(root, 'mnist'))).toEqual(ALL);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toMatchObject({ type: 'summary', dir: path.join(root, 'mnist'), ok: true });
  });

  const faults: Array<{ name: string; fault: Record<string, Fault>; args?: string[]; message: RegExp }> = [
    {
      name: 'a 404 on one file',
      fault: { 'train-labels-idx1-ubyte.gz': { kind: 'status', status: 404 } },
      message: /^nn-train: could not download train-labels-idx1-ubyte\.gz: \S+: HTTP 404 Not Found$/,
    },
    {
      name: 'a file cut short',
      fault: { 'train-images-idx3-ubyte.gz': { kind: 'truncate', bytes: 3_000_000 } },
      message: /^nn-train: could not download train-images-idx3-ubyte\.gz: \S+: the connection closed before the file was complete$/,
    },
    {
      name: 'flipped bytes (bad MD5)',
      fault: { 't10k-images-idx3-ubyte.gz': { kind: 'flip', offset: 1000, count: 4 } },
      message: /^nn-train: t10k-images-idx3-ubyte\.gz: checksum mismatch from \S+: expected md5 9fb629c4189551a2d022fa330f9573f3, got [0-9a-f]{32} \(1648877 bytes\); nothing was saved$/,
    },
    {
      name: 'a server that stalls past the timeout',
      fault: { 'train-images-idx3-ubyte.gz': { kind: 'stall', afterBytes: 65536 } },
      args: ['--timeout', '0.5'],
      message: /^nn-train: could not download train-images-idx3-ubyte\.gz: \S+: timed out after 0\.5s with no data$/,
    },
    {
      name: 'a redirect loop',
      fault: { 't10k-labels-idx1-ubyte.gz': { kind: 'redirect', to: `/t10k-labels-idx1-ubyte.gz`, status: 301 } },
      message: /^nn-train: could not download t10k-labels-idx1-ubyte\.gz: \S+: too many redirects$/,
    },
  ];

  for (const c of faults) {
    it(`${c.name}: exit 1, one line on stderr, nothing on stdout, no partial or corrupt file`, async () => {
      const dir = scratch();
      mirror.server.faults = c.fault;
      const r = await run(['download', '--mirror', mirror.server.url, '--data-dir', dir, ...(c.args ?? [])]);
      expect(r.code, r.stderr).toBe(1);
      expect(oneLineError(r)).toMatch(c.message);
      expect(r.stdout).toBe('');
      const faulty = Object.keys(c.fault)[0];
      expect(cleanCache(dir)).not.toContain(faulty);
    });
  }

  it('a redirect to the file is followed', async () => {
    const dir = scratch();
    mirror.server.faults = { 'train-labels-idx1-ubyte.gz': { kind: 'redirect', to: '/elsewhere/train-labels-idx1-ubyte.gz' } };
    const r = await run(['download', '--mirror', mirror.server.url, '--data-dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(cleanCache(dir)).toEqual(ALL);
  });

  it('a file already there with the wrong MD5: kept, reported, exit 1', async () => {
    const dir = scratch();
    for (const f of ALL) symlinkSync(path.join(MNIST_DIR, f), path.join(dir, f));
    rmSync(path.join(dir, 't10k-labels-idx1-ubyte.gz'));
    const wrong = Buffer.from(readFileSync(path.join(MNIST_DIR, 't10k-labels-idx1-ubyte.gz')));
    wrong[100] ^= 1;
    writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte.gz'), wrong);
    const r = await run(['download', '--mirror', mirror.server.url, '--data-dir', dir]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/t10k-labels-idx1-ubyte\.gz.*MISMATCH/);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^warning: \S+t10k-labels-idx1-ubyte\.gz is not the canonical mnist file \(md5 [0-9a-f]{32}, expected ec29112dd5afa0611ce80d1b7f02629c\); delete it to download it again$/),
      `nn-train: 1 of 4 files in ${dir} failed verification (t10k-labels-idx1-ubyte.gz)`,
    ]);
  });

  it('Ctrl-C mid-download: exit 130 and no partial file', async () => {
    const dir = scratch();
    mirror.server.faults = { 'train-images-idx3-ubyte.gz': { kind: 'stall', afterBytes: 100_000 } };
    const r = await interruptOnceRequested(mirror.server, ['download', '--mirror', mirror.server.url, '--data-dir', dir]);
    expect(r.code, r.stderr).toBe(130);
    expect(oneLineError(r)).toBe('nn-train: interrupted while downloading train-images-idx3-ubyte.gz; nothing partial was kept');
    expect(cleanCache(dir)).toEqual([]);
  });
});

describeMnist('Ctrl-C while training waits for its data', () => {
  it('exit 130 and no partial file in the cache', async () => {
    const server = await startStaticServer(MNIST_DIR, { faults: { 'train-images-idx3-ubyte.gz': { kind: 'stall', afterBytes: 100_000 } } });
    try {
      const dir = scratch();
      const r = await interruptOnceRequested(server, ['--mirror', server.url, '--data-dir', dir, '--iters', '1']);
      expect(r.code, r.stderr).toBe(130);
      expect(cleanCache(dir)).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe('nn-train with no network', () => {
  it('download: exit 1 with connection refused, nothing written', async () => {
    const dir = scratch();
    const port = await closedPort();
    const r = await run(['download', '--mirror', `http://127.0.0.1:${port}/`, '--data-dir', dir]);
    expect(r.code, r.stderr).toBe(1);
    expect(oneLineError(r)).toBe(
      `nn-train: could not download train-images-idx3-ubyte.gz: http://127.0.0.1:${port}/train-images-idx3-ubyte.gz: connection refused`,
    );
    expect(cleanCache(dir)).toEqual([]);
  });

  it('training falls back to mnist-10k with one warning; --no-fallback exits 1', async () => {
    const dir = scratch();
    const mirror = `http://127.0.0.1:${await closedPort()}/`;
    const r = await run(['--mirror', mirror, '--data-dir', dir, '--iters', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const config = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((x) => x.type === 'config');
    expect(config.dataset).toMatchObject({ name: 'mnist-10k', requested: 'mnist', source: 'bundled' });
    expect(r.stderr.split('\n').filter((l) => /warning/i.test(l))).toHaveLength(1);
    expect(r.stderr).toMatch(/connection refused; using mnist-10k instead/);

    const strict = await run(['--mirror', mirror, '--data-dir', dir, '--iters', '1', '--no-fallback']);
    expect(strict.code, strict.stderr).toBe(1);
    expect(oneLineError(strict)).toMatch(/^nn-train: could not download train-images-idx3-ubyte\.gz: .*connection refused$/);
    expect(cleanCache(dir)).toEqual([]);
  });

  it('bad flags are usage errors (exit 2)', async () => {
    const bad = await run(['download', '--mirror', 'ftp://example.org/']);
    expect(bad.code, bad.stderr).toBe(2);
    // How the value is quoted is parse-options' business; the flag, the rule and the value are ours.
    expect(oneLineError(bad)).toMatch(/^nn-train: --mirror must be an http, https or file URL, got "?ftp:\/\/example\.org\/"?$/);
    const tenk = await run(['download', '--dataset', 'mnist-10k']);
    expect(tenk.code, tenk.stderr).toBe(2);
    expect(oneLineError(tenk)).toBe('nn-train: --dataset must be mnist or fashion-mnist (mnist-10k is bundled), got mnist-10k');
    const timeout = await run(['download', '--timeout', 'soon']);
    expect(timeout.code, timeout.stderr).toBe(2);
    expect(oneLineError(timeout)).toBe('nn-train: --timeout must be a number, got soon');
  });
});
