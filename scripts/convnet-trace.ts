/**
 * Is nn-train's SimpleConvNet the book's, step for step? Trains it here (seed 42, Adam 0.001,
 * batch 100, the trainer's own draws) and writes what scripts/numpy-convnet.py --replay needs
 * to train the same net in NumPy from the same start on the same batches: the initial weights,
 * each step's batch and loss, and at one step the weights and gradients. Then runs it, which
 * prints how far apart the two are (and NumPy float32 from float64, for scale).
 *
 * Run: npx tsx scripts/convnet-trace.ts [--data-dir DIR] [--steps 300] [--at 100]
 * (DIR: else NN_TRAIN_MNIST_DIR, else ../shared/data/mnist beside the project.)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadDataset } from '../src/data/datasets.js';
import { createKernels } from '../src/kernels/index.js';
import type { Params } from '../src/network/network.js';
import { parseLayerSpec } from '../src/network/layer-spec.js';
import { ARCH_LAYERS } from '../src/network/names.js';
import { SequentialNet } from '../src/network/sequential-net.js';
import { Rng } from '../src/tensor/rng.js';
import { Adam } from '../src/train/optimizers/adam.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { 'data-dir': { type: 'string' }, steps: { type: 'string', default: '300' }, at: { type: 'string', default: '100' } } });
const dataDir = path.resolve(REPO, values['data-dir'] ?? (process.env.NN_TRAIN_MNIST_DIR || '../shared/data/mnist'));
const steps = Number(values.steps), at = Number(values.at);
if (!(Number.isInteger(steps) && steps >= 1 && Number.isInteger(at) && at >= 1 && at <= steps)) {
  console.error('convnet-trace: --steps and --at must be integers with 1 <= at <= steps');
  process.exit(2);
}

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nn-train-trace-'));
const write = (name: string, a: Float32Array | Int32Array | Float64Array) => fs.writeFileSync(path.join(out, name), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
const writeAll = (prefix: string, ps: Params) => Object.entries(ps).forEach(([name, m]) => write(`${prefix}-${name}.bin`, m.data as Float32Array));

const kernels = await createKernels({ threads: 1 });
const data = await loadDataset({ dataset: 'mnist', dataDir, offline: true, fallback: false });
const rng = new Rng(42);
const spec = { parts: parseLayerSpec(ARCH_LAYERS['simple-convnet']), input: { C: 1, H: 28, W: 28 }, classes: 10 };
const net = new SequentialNet(kernels, spec, { rng, init: 'std', weightInitStd: 0.01 });
const optimizer = new Adam(kernels, 0.001);
writeAll('init', net.params);

const images = kernels.loadImages(data.train);
const x = kernels.allocImages(100, 784); // x: (100, 784)
const t = new Uint8Array(100);
const batches = new Int32Array(steps * 100); // batches: (steps, 100) training-set indices
const losses = new Float64Array(steps);
for (let i = 1; i <= steps; i++) {
  const indices = batches.subarray((i - 1) * 100, i * 100);
  rng.choice(data.train.count, indices);
  kernels.gatherImages(x, images, indices);
  for (let k = 0; k < 100; k++) t[k] = data.train.labels[indices[k]];
  const grads = net.gradient(x, t);
  losses[i - 1] = net.lastLoss;
  if (i === at) {
    writeAll('at-params', net.params);
    writeAll('at-grads', grads);
  }
  optimizer.update(net.params, grads);
}
write('batches.bin', batches);
write('losses.bin', losses);
await kernels.close();

const r = spawnSync('python3', [path.join(REPO, 'scripts/numpy-convnet.py'), '--data-dir', dataDir, '--replay', out, '--replay-at', String(at)], { stdio: 'inherit' });
fs.rmSync(out, { recursive: true, force: true });
process.exit(r.status ?? 1);
