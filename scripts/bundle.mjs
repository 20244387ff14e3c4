// Bundles the JavaScript that runs, into dist/: three entry points in one esbuild build, which
// share their code through chunk files beside them. Part of `npm run build`, after the
// WebAssembly kernels and tsc (which writes the type declarations only).
//   dist/nn-train.js         the CLI (bin/nn-train.js imports it)
//   dist/nn-train-worker.js  a kernel worker thread (src/kernels/threads/pool.ts starts it)
//   dist/index.js            the library (package.json "main")
// One build for all three: the worker thread and the CLI run the same copy of the thread
// protocol, and every module has one instance (errors.ts's classes are checked with instanceof,
// output.ts keeps state).
//
// Bundled rather than one file per source (tsc's output): Node's ES module loader pays for
// every file, and `nn-train --help` would load dozens instead of eight. Each `await import()` of a
// command's run module stays a separate chunk, loaded on use, so `--help` loads none of the
// engine, the data module or zod. cli-table3 and the mnist package's files stay outside: the
// sources load them at run time through createRequire.
//
// import.meta.url: the sources build paths from it ('../../dist/kernels/nn-kernels.wasm',
// '../../package.json'). In the bundle every `import.meta.url` in a source file becomes that
// source's own URL in the package (src/kernels/wasm.ts), computed from the chunk's URL (every
// output file sits in dist/, a sibling of src/): those paths mean what they mean when the
// sources run (vitest, tsx), and the installed package can live anywhere.
import { build } from 'esbuild';
import { cp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'src');

/** Rewrites import.meta.url in src/**.ts to that source file's URL, from the output file's. */
const sourceModuleUrl = {
  name: 'source-module-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!args.path.startsWith(SRC + path.sep) || !source.includes('import.meta.url')) return undefined;
      const rel = path.relative(ROOT, args.path).split(path.sep).join('/');
      const contents = source.replaceAll('import.meta.url', `new URL(${JSON.stringify(`../${rel}`)}, import.meta.url).href`);
      return { contents, loader: 'ts' };
    });
  },
};

await build({
  absWorkingDir: ROOT,
  entryPoints: { 'nn-train': 'src/cli/main.ts', 'nn-train-worker': 'src/kernels/threads/worker.ts', index: 'src/index.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Bundled CommonJS packages (commander) call require() for Node's builtins; an ES module has none.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  plugins: [sourceModuleUrl],
  logLevel: 'warning',
});

// The page's static files are served as they are: copied beside the bundle, since an installed
// package ships dist/ and not src/.
await cp(path.join(ROOT, 'src/serve/page'), path.join(ROOT, 'dist/page'), { recursive: true });
