import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeMnist, MNIST_FILES } from '../support/mnist.js';
import { cleanCache, closedPort, mnistMirror, scratchDirs } from '../support/mirror.js';
import { run, type Run } from '../support/run-cli.js';

// --data-dir by one rule in every command that reads or downloads a data set: a folder that
// does not exist yet is made when nn-train downloads into it, and is a typo (exit 2, one line
// naming it) when nothing would be downloaded into it.

const scratch = scratchDirs('nn-data-dir-cli-');
const ALL = Object.keys(MNIST_FILES).sort();

/** A small model for eval and predict, trained on the bundled set (no network, no data folder). */
let model: string;
beforeAll(async () => {
  model = path.join(scratch(), 'm.safetensors');
  const r = await run(['--dataset', 'mnist-10k', '--iters', '1', '--quiet', '--save', model]);
  if (r.code !== 0) throw new Error(`training the test model failed: ${r.stderr}`);
});

/** Each command with the flags it needs besides the data flags. */
const COMMANDS: Array<[string, () => string[]]> = [
  ['train', () => ['--iters', '1']],
  ['gradcheck', () => ['gradcheck', '--count', '2']],
  ['inspect-gradients', () => ['inspect-gradients']],
  ['eval', () => ['eval', '--model', model]],
  ['predict', () => ['predict', '--model', model, '--index', '0']],
];

function oneLine(r: Run): string {
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines, r.stderr).toHaveLength(1);
  return lines[0];
}

describe.concurrent('a missing --data-dir where nothing would be downloaded: exit 2, one line naming it, nothing made', () => {
  for (const [name, args] of COMMANDS) {
    it(`${name} --offline`, async ({ expect }) => {
      const dir = path.join(scratch(), 'mnsit');
      const r = await run([...args(), '--data-dir', dir, '--offline']);
      expect(r.code, r.stderr).toBe(2);
      expect(oneLine(r)).toBe(`nn-train: --data-dir: no such folder: ${dir} (--offline: nothing is downloaded)`);
      expect(existsSync(dir)).toBe(false);
    });
  }

  it('--dataset mnist-10k (bundled)', async ({ expect }) => {
    const dir = path.join(scratch(), 'nope');
    const r = await run(['--iters', '1', '--dataset', 'mnist-10k', '--data-dir', dir]);
    expect(r.code, r.stderr).toBe(2);
    expect(oneLine(r)).toBe(`nn-train: --data-dir: no such folder: ${dir} (mnist-10k is bundled: nothing is downloaded)`);
  });

  it('a file where a folder should be, in train and download alike', async ({ expect }) => {
    const file = path.join(scratch(), 'not-a-folder');
    writeFileSync(file, 'x');
    for (const args of [['--iters', '1'], ['download', '--mirror', 'http://127.0.0.1:9/']]) {
      const r = await run([...args, '--data-dir', file]);
      expect(r.code, r.stderr).toBe(2);
      expect(oneLine(r)).toBe(`nn-train: --data-dir: not a folder: ${file}`);
    }
  });
});

describeMnist('a missing --data-dir is made when nn-train downloads into it', () => {
  const mirror = mnistMirror();

  for (const [name, args] of [...COMMANDS, ['download', () => ['download']] as [string, () => string[]]]) {
    it(name, async () => {
      const dir = path.join(scratch(), 'new', 'mnist');
      const r = await run([...args(), '--data-dir', dir, '--mirror', mirror.server.url, '--quiet']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/warning/);
      expect(cleanCache(dir)).toEqual(ALL);
    });
  }
});

describe('a folder made for a download that fails is removed again', () => {
  it('training falls back to mnist-10k and leaves no empty folders; download exits 1 likewise', async () => {
    const top = scratch();
    const dir = path.join(top, 'new', 'mnist');
    const mirror = `http://127.0.0.1:${await closedPort()}/`;
    const r = await run(['--iters', '1', '--data-dir', dir, '--mirror', mirror, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/connection refused; using mnist-10k instead/);
    expect(readdirSync(top)).toEqual([]);

    const d = await run(['download', '--data-dir', dir, '--mirror', mirror]);
    expect(d.code, d.stderr).toBe(1);
    expect(oneLine(d)).toMatch(/^nn-train: could not download train-images-idx3-ubyte\.gz: .*connection refused$/);
    expect(readdirSync(top)).toEqual([]);
  });
});
