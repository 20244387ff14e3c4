#!/usr/bin/env node
// Runs the CLI: the bundle dist/nn-train.js (scripts/build-cli.mjs; `npm run build`, which npm
// install runs through `prepare`, writes it after tsc's output), or tsc's dist/cli/main.js when
// that is newer: after a rebuild with `npx tsc -p .` alone, an older bundle would run old code
// (next to a worker thread running the new). Either way every module has one instance.
import { statSync } from 'node:fs';

const mtime = (file) => statSync(new URL(`../dist/${file}`, import.meta.url), { throwIfNoEntry: false })?.mtimeMs ?? -1;
await import(mtime('nn-train.js') >= mtime('cli/main.js') ? '../dist/nn-train.js' : '../dist/cli/main.js');
