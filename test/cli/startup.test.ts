import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/mnist.js';
import { BIN, cliEnv, collect, run, start } from '../support/run-cli.js';

// What start-up must still guarantee. The files each thread loads come from V8's coverage
// (NODE_V8_COVERAGE: one file per thread); which sources a built file holds, from the
// `// src/...` line esbuild writes above each module's code (scripts/bundle.mjs).

/** A run of the bin, with the project's files each thread loaded (main thread first). */
async function loadedFiles(args: string[]): Promise<{ code: number | null; stderr: string; threads: string[][] }> {
  const coverage = mkdtempSync(path.join(tmpdir(), 'nn-coverage-'));
  try {
    const r = await collect(spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: cliEnv({ NODE_V8_COVERAGE: coverage }), stdio: ['ignore', 'pipe', 'pipe'] }));
    const threadId = (f: string) => Number(/-(\d+)\.json$/.exec(f)![1]);
    const threads = readdirSync(coverage)
      .sort((a, b) => threadId(a) - threadId(b))
      .map((f) => (JSON.parse(readFileSync(path.join(coverage, f), 'utf8')) as { result: Array<{ url: string }> }).result)
      .map((scripts) => scripts.filter((s) => s.url.startsWith('file:')).map((s) => path.relative(REPO_ROOT, fileURLToPath(s.url))));
    return { code: r.code, stderr: r.stderr, threads };
  } finally {
    rmSync(coverage, { recursive: true, force: true });
  }
}

/** The sources bundled into the built files given. */
const sourcesIn = (files: string[]) =>
  files.filter((f) => f.startsWith('dist/')).flatMap((f) => [...readFileSync(path.join(REPO_ROOT, f), 'utf8').matchAll(/^\/\/ ((?:src|node_modules)\/\S+)$/gm)].map((m) => m[1]!));

const HEAVY = [/^node_modules\/(zod|ora|chalk|cli-table3)\//, /^src\/config\.ts$/, /^src\/report\//, /^src\/data\//, /^src\/layers\//, /^src\/kernels\/(?!backends\.ts$)/, /-run\.ts$/];

describe.concurrent('help and version load no engine, data or zod', () => {
  for (const args of [['--help'], ['--version'], ['help', 'eval'], ['train', '--help']]) {
    it(`nn-train ${args.join(' ')}`, async () => {
      const { code, threads } = await loadedFiles(args);
      expect(code).toBe(0);
      expect(threads).toHaveLength(1);
      const sources = sourcesIn(threads[0]!);
      expect(sources).toContain('src/cli/program.ts'); // the coverage and the source lines were read
      expect(sources.filter((s) => HEAVY.some((h) => h.test(s)))).toEqual([]);
    });
  }

  it('a command loads its schema and engine when it runs', async () => {
    const { code, threads } = await loadedFiles(['demo', 'apple']);
    expect(code).toBe(0);
    const sources = sourcesIn(threads[0]!);
    expect(sources).toEqual(expect.arrayContaining(['src/cli/commands/demo-run.ts', 'src/report/demo-report.ts']));
    expect(sources.some((s) => s.startsWith('node_modules/zod/'))).toBe(true);
  });
});

it('the worker thread and the CLI run the same build output: one copy of the thread protocol', async () => {
  const { code, stderr, threads } = await loadedFiles(['--dataset', 'mnist-10k', '--offline', '--iters', '3', '--threads', '2', '--backend', 'wasm', '--json']);
  expect(code, stderr).toBe(0);
  expect(threads).toHaveLength(2);
  const [main, worker] = threads as [string[], string[]];
  expect(main.slice(0, 2)).toEqual(['bin/nn-train.js', 'dist/nn-train.js']);
  expect(worker[0]).toBe('dist/nn-train-worker.js');
  // Nothing but the bin, dist/'s own files and cli-table3's package (required at run time).
  expect([...main, ...worker].filter((f) => f !== 'bin/nn-train.js' && !/^dist\/[^/]+\.js$/.test(f) && !f.startsWith('node_modules/'))).toEqual([]);
  const protocol = (files: string[]) => files.filter((f) => sourcesIn([f]).includes('src/kernels/threads/protocol.ts'));
  expect(protocol(worker)).toHaveLength(1);
  expect(protocol(main)).toEqual(protocol(worker));
});

describe('bin/nn-train.js', () => {
  it('refuses an older Node in one line, exit 1', () => {
    const r = spawnSync(process.execPath, ['--require', path.join(REPO_ROOT, 'test/cli/fixtures/old-node.cjs'), BIN, '--help'], { encoding: 'utf8', env: cliEnv() });
    expect(r).toMatchObject({ status: 1, stdout: '', stderr: 'nn-train: needs Node.js 20 or newer; this is Node.js 18.19.0\n' });
  });

  it('is ES5 but for its import(), so that an older Node parses it to that check', async () => {
    // esbuild rewrites (or rejects) any later syntax for an ES5 target: the text is unchanged
    // only if there was none.
    const source = readFileSync(BIN, 'utf8');
    const es5 = await transform(source, { target: 'es5', supported: { 'dynamic-import': true } });
    expect(es5.code).toBe((await transform(source, { target: 'esnext' })).code);
  });

  it('help into a reader that has gone: exit 0, nothing on stderr', async () => {
    const child = start(['--help']);
    child.stdout!.destroy(); // closes our end: the write gets EPIPE
    expect(await collect(child)).toMatchObject({ code: 0, stderr: '' });
  });
});

describe.concurrent('help still shows defaults and examples', () => {
  it('--help: the book defaults on their flags, the commands, examples and exit codes', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    const flat = r.stdout.replace(/\n {20,}/g, ' ');
    for (const [flag, value] of [['--hidden <sizes>', '50'], ['--activation <name>', 'relu'], ['--init <name>', 'std'], ['--epochs <n>', '17'], ['--batch-size <n>', '100'], ['--weight-init-std <x>', '0.01'], ['--seed <n>', '42'], ['--dtype <type>', 'float32'], ['--optimizer <name>', 'sgd'], ['--dataset <name>', 'mnist']]) {
      expect(flat).toMatch(new RegExp(`${flag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} .*\\(default: ${value.replace('.', '\\.')}\\)`));
    }
    expect(flat).toMatch(/--lr <x> +learning rate \(default: 0\.1 sgd, 0\.01 momentum, 0\.01 adagrad, 0\.001 adam\)/);
    for (const c of ['gradcheck', 'demo', 'download', 'inspect-gradients', 'eval', 'predict']) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    expect(r.stdout).toContain('$ nn-train --hidden 50 --epochs 17');
    expect(r.stdout).toContain('Exit codes: 0 ok');
  });

  for (const [cmd, example, flag] of [
    ['gradcheck', '$ nn-train gradcheck --data-dir', /--tolerance <x> .*\(default: 0\.000001\)/],
    ['inspect-gradients', '--activation sigmoid --init std', /--batch-size <n> .*\(default: 100\)/],
    ['eval', '$ nn-train eval --model m.safetensors', /--split <name> .*\(default: test\)/],
    ['predict', '$ nn-train predict --model m.safetensors --index 0', /--split <name> .*\(default: test\)/],
    ['download', '$ nn-train download --dataset fashion-mnist --json', /--timeout <sec> .*\(default: "30"\)/],
    ['demo', '$ nn-train demo apple-orange', /--x <number> .*\(default: "1\.5"\)/],
  ] as const) {
    it(`help ${cmd}: its defaults and examples`, async () => {
      const r = await run(['help', cmd]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(example);
      expect(r.stdout.replace(/\n {20,}/g, ' ')).toMatch(flag);
    });
  }
});
