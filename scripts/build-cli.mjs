// Bundles the CLI into one CommonJS file, dist/nn-train.cjs, and writes V8's code cache for it,
// dist/nn-train.cjs.cache: the two files bin/nn-train.js runs. Part of `npm run build`, after tsc.
//
// Why one CommonJS file and a code cache: `nn-train --help` should start in well under 150 ms
// on a slow 2-core machine, where Node alone takes 80-120 ms of that. On Node 20, an ES module
// entry costs ~7 ms more than a CommonJS one (the ESM loader), and ES modules get no code cache,
// so every start parses and compiles the bundle again. A CommonJS bundle compiled through
// vm.Script with the cache V8 wrote after a `--help` run skips both. Measured numbers are in
// the commit that made this change.
//
// The whole graph the bin reaches is bundled, commander, zod, chalk and ora with it, so every
// module has one instance at run time (errors.ts's classes are checked with instanceof,
// output.ts keeps state). Each `await import()` of a command's run module stays lazy: esbuild
// wraps that module and everything only it reaches in an init function (`__esm`, keyed by the
// source's path) that runs on the import, so `--help` evaluates none of the engine, the data
// module or zod. Left outside: cli-table3 and the mnist package's files, which the sources load
// at run time through createRequire, and the worker thread (dist/kernels/threads/worker.js,
// tsc's output, its own thread and module graph).
//
// import.meta.url: the sources build paths from it ('../../dist/kernels/nn-kernels.wasm',
// '../../package.json'). Every `import.meta.url` in a source file is rewritten to the URL its
// tsc output has in dist/ (src/kernels/wasm.ts -> dist/kernels/wasm.js), computed from the
// bundle's own path at run time: those paths mean what they mean in dist/, and the installed
// package can live anywhere.
//
// A metafile (dist/nn-train.meta.json) lists the sources in the bundle; the start-up test uses
// it with V8's coverage to see which of them `nn-train --help` evaluates.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'src');
const OUT = path.join(ROOT, 'dist');
const NAME = 'nn-train';
const BUNDLE = path.join(OUT, `${NAME}.cjs`);

/** Rewrites import.meta.url in src/**.ts to the URL of the file's tsc output, from the bundle's path. */
const moduleUrlAsInDist = {
  name: 'module-url-as-in-dist',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!args.path.startsWith(SRC + path.sep) || !source.includes('import.meta.url')) return undefined;
      // The bundle is written straight into dist/, so tsc's output is this path from it.
      const rel = path.relative(SRC, args.path).split(path.sep).join('/').replace(/\.ts$/, '.js');
      const contents = source.replaceAll('import.meta.url', `new URL(${JSON.stringify(`./${rel}`)}, __nnBundleUrl).href`);
      return { contents, loader: 'ts' };
    });
  },
};

/**
 * commander requires node:child_process when it loads, for subcommands that are separate
 * executables, which nn-train has none of; loading it (with net and dgram) is a few
 * milliseconds of every start. commander gets a stand-in that requires it on first use.
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, (args) =>
      args.importer.includes(`${path.sep}node_modules${path.sep}commander${path.sep}`) ? { path: 'lazy-child-process', namespace: 'lazy' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      contents: "module.exports = new Proxy({}, { get: (_, key) => require('node:child_process')[key] });",
      loader: 'js',
    }));
  },
};

// Remove the previous build's files first (the ES module bundle of earlier versions too): a
// cache must never sit beside a bundle it was not made from.
for (const f of await readdir(OUT).catch(() => [])) {
  if (f.startsWith(`${NAME}.`) || f.startsWith(`${NAME}-`)) await rm(path.join(OUT, f));
}

const result = await build({
  absWorkingDir: ROOT,
  entryPoints: { [NAME]: 'src/cli/main.ts' },
  outdir: OUT,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  charset: 'ascii', // (esbuild's default, relied on: the bin reads the bundle as latin1, one byte a character)
  banner: { js: "const __nnBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [moduleUrlAsInDist, lazyChildProcess],
  metafile: true,
  logLevel: 'warning',
});
await writeFile(path.join(OUT, `${NAME}.meta.json`), JSON.stringify(result.metafile));

// The bin compiles the bundle with vm.Script, which has no dynamic import() to offer it: every
// import() must have become one of esbuild's lazy inits.
const code = readFileSync(BUNDLE, 'latin1');
if (/\bimport\(/.test(code)) throw new Error(`${BUNDLE} still has a dynamic import()`);
if (/[^\x00-\x7f]/.test(code)) throw new Error(`${BUNDLE} is not ASCII`);

// The code cache: run `nn-train --help` through the bin, which then writes the cache V8 has for
// the bundle, with the functions that run compiled. (A cache is only valid for the V8 that
// wrote it: run under another Node, V8 rejects it and compiles as without one.)
execFileSync(process.execPath, [path.join(ROOT, 'bin/nn-train.js'), '--help'], {
  env: { ...process.env, NN_TRAIN_WRITE_CODE_CACHE: '1' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (!existsSync(`${BUNDLE}.cache`)) throw new Error(`${BUNDLE}.cache was not written`);
