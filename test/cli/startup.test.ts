import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, copyFileSync, cpSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, truncateSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/mnist.js';
import { BIN, cliEnv, collect, ndjson, run, start } from './run-cli.js';

// `nn-train --help` must start fast (issue 5: under 150 ms). Timing is too noisy for a test on a
// shared machine, so this checks the cause instead: what the help path evaluates. zod, ora,
// chalk, cli-table3 and the engine are evaluated only inside a command's action.
//
// After npm run build the bin runs the esbuild bundle (scripts/build-cli.mjs), one CommonJS
// file, dist/nn-train.cjs, in which each module a command imports lazily sits in an init
// function named by its source's path ("src/config.ts"). V8's coverage (NODE_V8_COVERAGE) says
// which files each thread compiled and how often each function ran, so which of those inits
// ran; the build's metafile lists the sources in the bundle. A source with no init function of
// its own runs when the bundle loads.

const TRACE = path.join(REPO_ROOT, 'test/cli/fixtures/trace-builtins.cjs');
const BUNDLE = path.join(REPO_ROOT, 'dist/nn-train.cjs');
const SOURCES = Object.entries((JSON.parse(readFileSync(path.join(REPO_ROOT, 'dist/nn-train.meta.json'), 'utf8')) as { inputs: Record<string, unknown>; outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> }).outputs['dist/nn-train.cjs']!.inputs)
  .filter(([, i]) => i.bytesInOutput > 0) // (0 bytes: only re-exports)
  .map(([source]) => source);

interface Coverage {
  result: Array<{ url: string; functions: Array<{ functionName: string; ranges: Array<{ count: number }> }> }>;
}

/**
 * A run of the bin as users run it, with what it loaded: the files every thread compiled (paths
 * relative to the project), the bundle's sources that were evaluated, and the Node builtins the
 * main thread loaded.
 */
async function loadedModules(args: string[]): Promise<{ code: number | null; stdout: string; files: string[]; sources: string[]; builtins: string[] }> {
  const coverage = mkdtempSync(path.join(tmpdir(), 'nn-coverage-'));
  try {
    const child = spawn(process.execPath, ['--require', TRACE, BIN, ...args], { cwd: REPO_ROOT, env: cliEnv({ NODE_V8_COVERAGE: coverage }), stdio: ['ignore', 'pipe', 'pipe'] });
    const r = await collect(child);
    const scripts = readdirSync(coverage).flatMap((f) => (JSON.parse(readFileSync(path.join(coverage, f), 'utf8')) as Coverage).result);
    const files = [...new Set(scripts.filter((s) => s.url.startsWith('file:') && fileURLToPath(s.url) !== TRACE).map((s) => path.relative(REPO_ROOT, fileURLToPath(s.url))))];
    const bundle = scripts.find((s) => s.url.startsWith('file:') && fileURLToPath(s.url) === BUNDLE);
    if (!bundle) throw new Error(`the run did not compile ${BUNDLE}: ${r.stderr}`);
    const inits = new Map(bundle.functions.filter((f) => SOURCES.includes(f.functionName)).map((f) => [f.functionName, f.ranges[0]!.count]));
    const sources = SOURCES.filter((s) => !inits.has(s) || inits.get(s)! > 0);
    const builtins = (r.stderr.split('\n').find((l) => l.startsWith('builtins: ')) ?? '').slice('builtins: '.length).split(' ');
    return { code: r.code, stdout: r.stdout, files, sources, builtins };
  } finally {
    rmSync(coverage, { recursive: true, force: true });
  }
}

const HEAVY = [/node_modules\/(zod|ora|chalk|cli-table3)\//, /^src\/config\.ts$/, /^src\/report\//, /^src\/data\//, /^src\/layers\//, /^src\/kernels\/(?!backends\.ts$)/, /-run\.ts$/];

describe.concurrent('start-up loads nothing heavy', () => {
  it('every heavy source of the bundle is behind an init function (so the checks below can see it)', async () => {
    const { code, sources } = await loadedModules(['--version']);
    expect(code).toBe(0);
    const heavy = SOURCES.filter((m) => HEAVY.some((h) => h.test(m)));
    expect(heavy).toEqual(expect.arrayContaining(['src/config.ts', 'src/cli/commands/train-run.ts', 'src/layers/affine.ts']));
    expect(heavy.filter((m) => sources.includes(m))).toEqual([]);
  });

  for (const args of [['--help'], ['--version'], ['help', 'eval'], ['train', '--help'], ['gradcheck', '--help'], ['download', '--help']]) {
    it(`nn-train ${args.join(' ')}`, async () => {
      const { code, files, sources, builtins } = await loadedModules(args);
      expect(code).toBe(0);
      expect(sources).toContain('src/cli/program.ts'); // the coverage and the metafile were read
      expect(files.sort()).toEqual(['bin/nn-train.js', 'dist/nn-train.cjs']);
      expect(sources.filter((m) => HEAVY.some((h) => h.test(m)))).toEqual([]);
      // commander's child_process (with dgram) only when used (scripts/build-cli.mjs), and no
      // builtin the engine or data need.
      expect(builtins).toContain('fs'); // the builtins line was read
      expect(builtins.filter((b) => /^(child_process|dgram|crypto|zlib|worker_threads)$/.test(b))).toEqual([]);
      // The help goes into the test's pipe without process.stdout (src/cli/output.ts), whose
      // making would load net and the stream modules.
      expect(builtins.filter((b) => /^(net|stream|tty)$/.test(b))).toEqual([]);
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
    // (locales/index.js in the bundle is only the init that runs en.js's.)
    expect(SOURCES.filter((m) => /^node_modules\/zod\/v4\/locales\/(?!index\.js$)/.test(m))).toEqual(['node_modules/zod/v4/locales/en.js']);
    expect(SOURCES.some((m) => m.startsWith('node_modules/zod/v4/classic/'))).toBe(false);
  });
});

describe('the bundle', () => {
  it('bundles every source the bin reaches: no module of tsc\'s dist/ is loaded beside it, except in the worker thread', async () => {
    // Two threads and the WebAssembly kernels: the worker script and the .wasm file are found
    // by paths the sources build from import.meta.url; a table run draws with cli-table3.
    const { code, stdout, files, sources } = await loadedModules(['--dataset', 'mnist-10k', '--offline', '--iters', '3', '--threads', '2', '--backend', 'wasm', '--no-color']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/wasm/);
    expect(sources).toEqual(expect.arrayContaining(['src/cli/main.ts', 'src/errors.ts', 'src/cli/output.ts', 'src/kernels/wasm.ts', 'src/data/bundled.ts']));
    // Outside the bundle: cli-table3 (required at run time) and the worker thread, which runs
    // tsc's dist/kernels/threads/worker.js and its imports in its own thread.
    const outside = files.filter((f) => !['bin/nn-train.js', 'dist/nn-train.cjs'].includes(f) && !f.startsWith('node_modules/'));
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
  /** A copy of the bin in a fresh folder, with `files` (path -> [contents, mtime in seconds]) in dist/. */
  const withBin = <T>(files: Record<string, [string, number]>, body: (dir: string, runBin: (env?: Record<string, string>) => { stdout: string; stderr: string }) => T): T => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nn-bin-'));
    try {
      mkdirSync(path.join(dir, 'bin'));
      mkdirSync(path.join(dir, 'dist/cli'), { recursive: true });
      copyFileSync(BIN, path.join(dir, 'bin/nn-train.js'));
      copyFileSync(path.join(REPO_ROOT, 'bin/package.json'), path.join(dir, 'bin/package.json'));
      writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
      for (const [file, [contents, time]] of Object.entries(files)) {
        writeFileSync(path.join(dir, 'dist', file), contents);
        utimesSync(path.join(dir, 'dist', file), time, time);
      }
      const runBin = (env: Record<string, string> = {}) => {
        const r = spawnSyncText(path.join(dir, 'bin/nn-train.js'), env);
        return { stdout: r.stdout.trim(), stderr: r.stderr.trim() };
      };
      return body(dir, runBin);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('runs the bundle unless tsc has written its output since (or there is no bundle)', () => {
    const tsc = "console.log('tsc output');";
    const bundle = "console.log('bundle');";
    expect(withBin({ 'cli/main.js': [tsc, 1000], 'nn-train.cjs': [bundle, 2000] }, (_, runBin) => runBin().stdout)).toBe('bundle'); // npm run build: tsc, then the bundle
    expect(withBin({ 'cli/main.js': [tsc, 500_000_000], 'nn-train.cjs': [bundle, 500_000_000] }, (_, runBin) => runBin().stdout)).toBe('bundle'); // npm pack gives every file one mtime
    expect(withBin({ 'cli/main.js': [tsc, 2000], 'nn-train.cjs': [bundle, 1000] }, (_, runBin) => runBin().stdout)).toBe('tsc output'); // npx tsc -p . since the last bundle
    expect(withBin({ 'cli/main.js': [tsc, 1000] }, (_, runBin) => runBin().stdout)).toBe('tsc output');
  });

  it('uses the code cache the build wrote', () => {
    const r = spawnSyncText(BIN, { NN_TRAIN_DEBUG: '1' }, ['--version']);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version);
    expect(r.stderr).toContain('nn-train: code cache used');
  });

  it('never runs a cache of another bundle: rewritten (even to the same length), moved, truncated, from another V8 or unreadable', () => {
    withBin({ 'nn-train.cjs': ["console.log('AAAA');", 1000] }, (dir, runBin) => {
      expect(runBin({ NN_TRAIN_WRITE_CODE_CACHE: '1' }).stdout).toBe('AAAA');
      expect(runBin({ NN_TRAIN_DEBUG: '1' })).toEqual({ stdout: 'AAAA', stderr: 'nn-train: code cache used' });
      // V8 itself would take this cache for a new bundle of the same length and run the old code.
      writeFileSync(path.join(dir, 'dist/nn-train.cjs'), "console.log('BBBB');");
      expect(runBin({ NN_TRAIN_DEBUG: '1' })).toEqual({ stdout: 'BBBB', stderr: 'nn-train: code cache not used' });

      expect(runBin({ NN_TRAIN_WRITE_CODE_CACHE: '1' }).stdout).toBe('BBBB');
      expect(readdirSync(path.join(dir, 'dist')).sort()).toEqual(['cli', 'nn-train.cjs', 'nn-train.cjs.cache']); // no temporary file left
      const moved = `${dir}-moved`;
      cpSync(dir, moved, { recursive: true, preserveTimestamps: true });
      try {
        const r = spawnSyncText(path.join(moved, 'bin/nn-train.js'), { NN_TRAIN_DEBUG: '1' });
        expect({ stdout: r.stdout.trim(), stderr: r.stderr.trim() }).toEqual({ stdout: 'BBBB', stderr: 'nn-train: code cache not used' });
      } finally {
        rmSync(moved, { recursive: true, force: true });
      }

      const cache = path.join(dir, 'dist/nn-train.cjs.cache');
      const whole = readFileSync(cache);
      const r = spawnSyncText(path.join(dir, 'bin/nn-train.js'), { NN_TRAIN_DEBUG: '1' }, [], ['--stack-size=900']); // another V8 flag: another flags hash
      expect({ stdout: r.stdout.trim(), stderr: r.stderr.trim() }).toEqual({ stdout: 'BBBB', stderr: 'nn-train: code cache rejected' });
      truncateSync(cache, whole.length - 16);
      expect(runBin({ NN_TRAIN_DEBUG: '1' })).toEqual({ stdout: 'BBBB', stderr: 'nn-train: code cache rejected' });
      rmSync(cache);
      mkdirSync(cache); // a cache that cannot be read
      expect(runBin({ NN_TRAIN_DEBUG: '1' })).toEqual({ stdout: 'BBBB', stderr: 'nn-train: code cache not used' });
    });
  });
});

/** Runs a bin to its end (node flags first), failing the test unless it exits 0. */
function spawnSyncText(bin: string, env: Record<string, string>, args: string[] = [], nodeFlags: string[] = []): { stdout: string; stderr: string } {
  const base = cliEnv();
  delete base.NN_TRAIN_DEBUG;
  delete base.NN_TRAIN_WRITE_CODE_CACHE;
  const r = spawnSync(process.execPath, [...nodeFlags, bin, ...args], { encoding: 'utf8', env: { ...base, ...env } });
  if (r.status !== 0) throw new Error(`${bin} exited ${r.status}: ${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

describe('help text into a pipe', () => {
  it('is the same text the stream writes: into a pipe, a file and a terminal-less device', async () => {
    const piped = await run(['--help']);
    expect(piped.code).toBe(0);
    expect(piped.stdout).toMatch(/^Usage: nn-train /);
    const dir = mkdtempSync(path.join(tmpdir(), 'nn-help-'));
    try {
      const file = path.join(dir, 'help.txt');
      const fd = openSync(file, 'w');
      const r = spawnSync(process.execPath, [BIN, '--help'], { cwd: REPO_ROOT, env: cliEnv(), stdio: ['ignore', fd, 'pipe'] });
      closeSync(fd);
      expect(r.status).toBe(0);
      expect(readFileSync(file, 'utf8')).toBe(piped.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // /dev/null is a character device, like a terminal: the stream's path.
    expect(spawnSync(process.execPath, [BIN, '--help'], { cwd: REPO_ROOT, env: cliEnv(), stdio: ['ignore', 'ignore', 'pipe'] })).toMatchObject({ status: 0, stderr: Buffer.alloc(0) });
  });

  it('a reader that has gone: exit 0, nothing on stderr', async () => {
    const child = start(['--help']);
    child.stdout!.destroy(); // closes our end: the write gets EPIPE
    const r = await collect(child);
    expect(r).toMatchObject({ code: 0, stderr: '' });
  });

  it('a non-blocking pipe that is full: the rest goes through the stream, whole, once there is room', async () => {
    // A FIFO that already holds as much as it takes.
    const dir = mkdtempSync(path.join(tmpdir(), 'nn-fifo-'));
    try {
      const fifo = path.join(dir, 'out');
      execFileSync('mkfifo', [fifo]);
      const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      const filler = Buffer.alloc(4096, 'x');
      let filled = 0;
      for (;;) {
        try {
          filled += writeSync(writer, filler);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
          break;
        }
      }
      const child = spawn(process.execPath, [BIN, '--help'], { cwd: REPO_ROOT, env: cliEnv(), stdio: ['ignore', writer, 'pipe'] });
      // libuv made the child's stdout blocking before it ran (O_NONBLOCK belongs to the pipe's
      // open file, which both share); a socket on our copy makes it non-blocking again, as
      // another Node process writing to the same pipe would. Destroying it closes our copy.
      new Socket({ fd: writer, readable: false, writable: true }).destroy();
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      await new Promise((resolve) => setTimeout(resolve, 300)); // the child meets the full pipe
      const chunks: Buffer[] = [];
      const buf = Buffer.alloc(65536);
      let open = true;
      void exited.then(() => (open = false));
      for (let idle = 0; idle < 3; ) {
        let n = 0;
        try {
          n = readSync(reader, buf);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
        }
        if (n > 0) chunks.push(Buffer.from(buf.subarray(0, n)));
        if (n === 0 && !open) idle++;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      closeSync(reader);
      expect(await exited).toBe(0);
      expect(stderr).toBe('');
      const all = Buffer.concat(chunks).toString('latin1');
      expect(all.slice(0, filled)).toBe('x'.repeat(filled));
      expect(all.slice(filled)).toBe((await run(['--help'])).stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
