#!/usr/bin/env node
// Runs the CLI, dist/nn-train.js (`npm run build`, which npm install runs through `prepare`).
//
// CommonJS (bin/package.json says so for this folder) in ES5 syntax, so that an older Node
// parses it and says why it stops instead of failing on syntax; the one later form, import(),
// parses from Node 10 on.
'use strict';

var MIN_NODE_MAJOR = 20;

if (Number(process.versions.node.split('.')[0]) < MIN_NODE_MAJOR) {
  process.stderr.write('nn-train: needs Node.js ' + MIN_NODE_MAJOR + ' or newer; this is Node.js ' + process.versions.node + '\n');
  process.exit(1);
}
import('../dist/nn-train.js').catch(function (err) {
  // Not built, or built for another layout: one line, not a loader's stack trace.
  process.stderr.write('nn-train: cannot load dist/nn-train.js (run npm run build): ' + err.message + '\n');
  process.exit(1);
});
