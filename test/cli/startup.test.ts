import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/mnist.js';
import { BIN, cliEnv, collect, ndjson, run } from './run-cli.js';

// `nn-train --help` must start fast (issue 5: under 150 ms). Timing is too noisy for a test on a
// shared machine, so this checks the cause instead: what the help path loads. zod, ora, chalk,
// cli-table3 and the engine are loaded only inside a command's action.
//
// After npm run build the bin runs the esbuild bundle (scripts/build-cli.mjs): dist/nn-train.js
// and chunks dist/nn-train-<hash>.js. These tests run the bundle's entry directly (the bin picks
// tsc's output instead if someone rebuilds with tsc alone meanwhile: tested on its own below).
// The build's metafile says which sources each chunk holds, so the checks are on sources
// (src/..., node_modules/...), whatever chunks they landed in.

const TRACE = path.join(REPO_ROOT, 'test/cli/fixtures/trace-loads.mjs');
const BUNDLE = path.join(REPO_ROOT, 'dist/nn-train.js');
const BUNDLE_FILE = /^dist\/nn-train(-[A-Z0-9]+)?\.js$/;

interface Meta {
  outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
}
const META = JSON.parse(readFileSync(path.join(REPO_ROOT, 'dist/nn-train.meta.json'), 'utf8')) as Meta;

/**
 * The files a run of the bundled CLI loads, as paths relative to the project (node: builtins
 * dropped), in every thread, and the sources inside the bundle's loaded chunks.
 */
async function loadedModules(args: string[]): Promise<{ code: number | null; stdout: string; files: string[]; sources: string[]; builtins: string[] }> {
  const child = spawn(process.execPath, ['--import', TRACE, BUNDLE, ...args], { cwd: REPO_ROOT, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const r = await collect(child);
  const files = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('load: file://'))
    .map((l) => path.relative(REPO_ROOT, new URL(l.slice('load: '.length)).pathname));
  const sources = files.filter((f) => BUNDLE_FILE.test(f)).flatMap((f) => {
    const chunk = META.outputs[f];
    if (!chunk) throw new Error(`${f} is not in dist/nn-train.meta.json: a stale build?`);
    return Object.entries(chunk.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([source]) => source); // (0 bytes: only re-exports)
  });
  const builtins = (r.stderr.split('\n').find((l) => l.startsWith('builtins: ')) ?? '').slice('builtins: '.length).split(' ');
  return { code: r.code, stdout: r.stdout, files, sources, builtins };
}

const HEAVY = [/node_modules\/(zod|ora|chalk|cli-table3)\//, /^src\/config\.ts$/, /^src\/report\//, /^src\/data\//, /^src\/layers\//, /^src\/kernels\/(?!backends\.ts$)/, /-run\.ts$/];

describe.concurrent('start-up loads nothing heavy', () => {
  for (const args of [['--help'], ['--version'], ['help', 'eval'], ['train', '--help'], ['gradcheck', '--help'], ['download', '--help']]) {
    it(`nn-train ${args.join(' ')}`, async () => {
      const { code, files, sources, builtins } = await loadedModules(args);
      expect(code).toBe(0);
      expect(sources).toContain('src/cli/program.ts'); // the trace and the chunk map work
      expect(files.filter((f) => !BUNDLE_FILE.test(f))).toEqual([]);
      expect(sources.filter((m) => HEAVY.some((h) => h.test(m)))).toEqual([]);
      // commander's child_process (with dgram) only when used (scripts/build-cli.mjs), and no
      // builtin the engine or data need. (worker_threads is not checked: the trace's loader
      // hook runs in one.)
      expect(builtins).toContain('fs'); // the builtins line was read
      expect(builtins.filter((b) => /^(child_process|dgram|crypto|zlib)$/.test(b))).toEqual([]);
    });
  }

  it('a command loads its schema and engine when it runs', async () => {
    const { code, sources } = await loadedModules(['demo', 'apple']);
    expect(code).toBe(0);
    expect(sources).toEqual(expect.arrayContaining(['src/cli/commands/demo-run.ts', 'src/report/demo-report.ts']));
    expect(sources.some((m) => m.startsWith('node_modules/zod/'))).toBe(true);
    // zod's functional API, imported as a namespace (src/zod.ts), lets esbuild keep only what the
    // schemas use: 56 kB of zod. `import { z } from 'zod'` keeps all of it (755 kB, its ~40
    // locales 366 of them): ~60 ms more start-up.
    expect(sources.filter((m) => m.startsWith('node_modules/zod/v4/locales/'))).toEqual(['node_modules/zod/v4/locales/en.js']);
    expect(sources.some((m) => m.startsWith('node_modules/zod/v4/classic/'))).toBe(false);
  });
});

describe('the bundle', () => {
  it('bundles every source the bin reaches once: no module of tsc\'s dist/ is loaded beside it, except the worker thread\'s', async () => {
    // Two threads and the WebAssembly kernels: the worker script and the .wasm file are found
    // by paths the sources build from import.meta.url; a table run draws with cli-table3.
    const { code, stdout, files, sources } = await loadedModules(['--dataset', 'mnist-10k', '--offline', '--iters', '3', '--threads', '2', '--backend', 'wasm', '--no-color']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/wasm/);
    expect(new Set(sources).size).toBe(sources.length); // no source in two chunks
    expect(sources).toEqual(expect.arrayContaining(['src/cli/main.ts', 'src/errors.ts', 'src/cli/output.ts', 'src/kernels/wasm.ts', 'src/data/bundled.ts']));
    // Outside the bundle: cli-table3 (required at run time) and the worker thread,
    // which runs tsc's dist/kernels/threads/worker.js and its imports in its own thread.
    const outside = files.filter((f) => !BUNDLE_FILE.test(f) && !f.startsWith('node_modules/'));
    expect(outside).toContain('dist/kernels/threads/worker.js');
    expect(outside.filter((f) => !/^dist\/(kernels|tensor)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith('node_modules/') && !/^node_modules\/(cli-table3|@colors\/colors|string-width|strip-ansi|ansi-regex|emoji-regex|is-fullwidth-code-point)\//.test(f))).toEqual([]);
  });

  it('a JSON run says which kernels and version it used, found through the bundle\'s paths', async () => {
    const args = ['--dataset', 'mnist-10k', '--offline', '--iters', '2', '--threads', '2', '--backend', 'wasm', '--json'];
    const r = await collect(spawn(process.execPath, [BUNDLE, ...args], { cwd: REPO_ROOT, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(r.code).toBe(0);
    const config = ndjson(r.stdout).find((x) => x.type === 'config');
    const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    expect(config).toMatchObject({ version, config: { threads: 2 } });
    expect(config?.config.kernels).toMatch(/^wasm/);
  });
});

describe('bin/nn-train.js', () => {
  // A copy of the bin next to stand-in builds: which one it runs, by their modification times.
  const runBin = (times: { bundle?: number; tsc: number }): string => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nn-bin-'));
    try {
      mkdirSync(path.join(dir, 'bin'));
      mkdirSync(path.join(dir, 'dist/cli'), { recursive: true });
      copyFileSync(BIN, path.join(dir, 'bin/nn-train.js'));
      writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
      const tsc = path.join(dir, 'dist/cli/main.js');
      writeFileSync(tsc, "console.log('tsc output');");
      utimesSync(tsc, times.tsc, times.tsc);
      if (times.bundle !== undefined) {
        const bundle = path.join(dir, 'dist/nn-train.js');
        writeFileSync(bundle, "console.log('bundle');");
        utimesSync(bundle, times.bundle, times.bundle);
      }
      return execFileSync(process.execPath, [path.join(dir, 'bin/nn-train.js')], { encoding: 'utf8' }).trim();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('runs the bundle unless tsc has written its output since (or there is no bundle)', () => {
    expect(runBin({ bundle: 2000, tsc: 1000 })).toBe('bundle'); // npm run build: tsc, then the bundle
    expect(runBin({ bundle: 500_000_000, tsc: 500_000_000 })).toBe('bundle'); // npm pack gives every file one mtime
    expect(runBin({ bundle: 1000, tsc: 2000 })).toBe('tsc output'); // npx tsc -p . since the last bundle
    expect(runBin({ tsc: 1000 })).toBe('tsc output');
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
