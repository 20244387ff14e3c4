// Bundles the CLI into dist/nn-train.js and its lazy chunks (dist/nn-train-<hash>.js), the
// files bin/nn-train.js runs. Part of `npm run build`, after tsc.
//
// Why: Node starts faster from a few bundled files than from ~100 separate modules (fewer
// files to resolve, read and compile), zod included. Measured numbers are in the commit
// that added this script.
//
// The whole graph the bin reaches is bundled, commander, zod, chalk and ora with it, so every
// module has one instance at run time (errors.ts's classes are checked with instanceof,
// output.ts keeps state); each `await import()` of a command's run module becomes a chunk,
// loaded only when that command runs, as before. Left outside: cli-table3 and the mnist
// package's files, which the sources load at run time through createRequire, and the worker
// thread (dist/kernels/threads/worker.js, tsc's output, its own thread and module graph).
//
// import.meta.url: the sources build paths from it ('../../dist/kernels/nn-kernels.wasm',
// '../../package.json'). In a chunk it would be the chunk's URL, so every `import.meta.url`
// in a source file is rewritten to the URL its tsc output has in dist/ (src/kernels/wasm.ts ->
// dist/kernels/wasm.js), computed from the chunk's own URL at run time: those paths mean what
// they mean in dist/, and the installed package can live anywhere.
//
// A metafile (dist/nn-train.meta.json) records which sources went into which chunk; the
// start-up test uses it to see which modules `nn-train --help` loads.
import { build } from 'esbuild';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'src');
const OUT = path.join(ROOT, 'dist');
const NAME = 'nn-train';

/** Rewrites import.meta.url in src/**.ts to the URL of the file's tsc output, relative to the chunk. */
const moduleUrlAsInDist = {
  name: 'module-url-as-in-dist',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!args.path.startsWith(SRC + path.sep) || !source.includes('import.meta.url')) return undefined;
      // Chunks are written straight into dist/, so tsc's output is this path from them.
      const rel = path.relative(SRC, args.path).split(path.sep).join('/').replace(/\.ts$/, '.js');
      const contents = source.replaceAll('import.meta.url', `new URL(${JSON.stringify(`./${rel}`)}, import.meta.url).href`);
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

// Old chunks have other hashes: remove them, so dist/ holds one consistent bundle.
for (const f of await readdir(OUT).catch(() => [])) {
  if (f === `${NAME}.js` || f.startsWith(`${NAME}-`) || f === `${NAME}.meta.json`) await rm(path.join(OUT, f));
}

const result = await build({
  absWorkingDir: ROOT,
  entryPoints: { [NAME]: 'src/cli/main.ts' },
  outdir: OUT,
  chunkNames: `${NAME}-[hash]`,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // commander is CommonJS and requires Node's builtins; in an ES module that needs a require.
  banner: { js: "import { createRequire as __nnCreateRequire } from 'node:module'; const require = __nnCreateRequire(import.meta.url);" },
  plugins: [moduleUrlAsInDist, lazyChildProcess],
  metafile: true,
  logLevel: 'warning',
});
await writeFile(path.join(OUT, `${NAME}.meta.json`), JSON.stringify(result.metafile));
