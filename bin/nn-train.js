#!/usr/bin/env node
// Runs the CLI bundle (scripts/build-cli.mjs; npm install builds it through the `prepare` script).
import '../dist/nn-train.js';
