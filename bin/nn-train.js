#!/usr/bin/env node
'use strict';
// Runs the CLI: the bundle dist/nn-train.cjs (scripts/build-cli.mjs; `npm run build`, which npm
// install runs through `prepare`, writes it after tsc's output), or tsc's dist/cli/main.js when
// that is newer: after a rebuild with `npx tsc -p .` alone, an older bundle would run old code
// (next to a worker thread running the new). Either way every module has one instance.
//
// CommonJS (bin/package.json says so for this folder), like the bundle, because Node starts a
// CommonJS entry faster than an ES module one; the file keeps its .js name, which npm's links
// to it (npx's cache among them) point at. The bundle is compiled through vm.Script with V8's
// code cache, which Node 20's own loaders don't use: a cached start skips parsing and
// compiling ~0.5 MB of JavaScript.
const fs = require('node:fs');
const path = require('node:path');

const DIST = path.join(__dirname, '..', 'dist');
const BUNDLE = path.join(DIST, 'nn-train.cjs');
const CACHE = `${BUNDLE}.cache`;
const mtime = (file) => fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? -1;

if (mtime(BUNDLE) < mtime(path.join(DIST, 'cli', 'main.js'))) {
  import(require('node:url').pathToFileURL(path.join(DIST, 'cli', 'main.js')).href);
} else {
  runBundle();
}

function runBundle() {
  const vm = require('node:vm');
  const { createRequire } = require('node:module');
  // The build writes the cache: a run with NN_TRAIN_WRITE_CODE_CACHE=1 compiles without one and
  // saves what V8 compiled by the end of the run.
  const writing = process.env.NN_TRAIN_WRITE_CODE_CACHE === '1';
  // V8 checks a cache against its own version and flags and the source's length only: a cache
  // of another bundle of the same length would run that bundle's code. So a cache older than
  // the bundle is never used (the build writes it after the bundle; npm pack gives both one
  // time). And the script's file name comes from the cache too (its stack traces would name the
  // folder where the build ran), so the cache starts with a line naming the bundle it was made
  // for, and a moved bundle compiles without it. Rejected or missing, V8 compiles as usual.
  const header = Buffer.from(`nn-train code cache for ${BUNDLE}\n`);
  let cachedData;
  if (!writing && mtime(CACHE) >= mtime(BUNDLE)) {
    try {
      const file = fs.readFileSync(CACHE);
      if (file.subarray(0, header.length).equals(header)) cachedData = file.subarray(header.length);
    } catch {
      // unreadable: compile without it
    }
  }
  // The bundle is ASCII (the build checks): latin1 reads it a byte a character, without UTF-8 decoding.
  const source = fs.readFileSync(BUNDLE, 'latin1');
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: BUNDLE, cachedData });
  if (process.env.NN_TRAIN_DEBUG) process._rawDebug(`nn-train: code cache ${cachedData === undefined ? 'not used' : script.cachedDataRejected ? 'rejected' : 'used'}`);
  if (writing) {
    process.on('exit', () => {
      const tmp = `${CACHE}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, Buffer.concat([header, script.createCachedData()]));
      fs.renameSync(tmp, CACHE); // whole or not at all
    });
  }
  const bundle = { exports: {} };
  script.runInThisContext()(bundle.exports, createRequire(BUNDLE), bundle, BUNDLE, DIST);
}
