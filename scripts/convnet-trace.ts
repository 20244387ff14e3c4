/**
 * Is nn-train's SimpleConvNet the book's, step for step? Trains it here (Adam 0.001, batch
 * 100, the trainer's own draws) and has scripts/numpy-convnet.py check it, in one of two ways:
 *
 * - replay (the default): writes the initial weights, each step's batch and loss, and at step
 *   --at the weights and gradients; NumPy then trains the same net from the same start on the
 *   same batches, in float32 and float64, and prints how far apart the runs are.
 * - --every K: a whole run (--steps, default 12000: the book's 20 epochs). Every K-th step's
 *   batch, weights and gradients go to NumPy through a named pipe, which computes that step's
 *   gradients from nn-train's weights in float32 and float64 and counts the steps where the
 *   three disagree (a near-tie in a ReLU or a max-pool decided the other way).
 *
 * Run: npx tsx scripts/convnet-trace.ts [--data-dir DIR] [--seed 42] [--steps 300] [--at 100]
 *      npx tsx scripts/convnet-trace.ts --every 3 [--seed 42] [--steps 12000]
 * (DIR: else NN_TRAIN_MNIST_DIR, else ../shared/data/mnist beside the project.)
 */
import { spawn, spawnSync } from 'node:child_process';
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
const { values } = parseArgs({
  options: { 'data-dir': { type: 'string' }, seed: { type: 'string', default: '42' }, steps: { type: 'string' }, at: { type: 'string', default: '100' }, every: { type: 'string' } },
});
const dataDir = path.resolve(REPO, values['data-dir'] ?? (process.env.NN_TRAIN_MNIST_DIR || '../shared/data/mnist'));
const every = values.every === undefined ? 0 : Number(values.every);
const steps = Number(values.steps ?? (every ? 12000 : 300)), at = every ? 0 : Number(values.at), seed = Number(values.seed);
const ok = Number.isInteger(steps) && steps >= 1 && Number.isInteger(seed) && (values.every === undefined ? Number.isInteger(at) && at >= 1 && at <= steps : Number.isInteger(every) && every >= 1);
if (!ok) {
  console.error('convnet-trace: --steps, --seed and --every must be integers (steps, every >= 1), and 1 <= --at <= --steps');
  process.exit(2);
}

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nn-train-trace-'));
const write = (name: string, a: Float32Array | Int32Array | Float64Array) => fs.writeFileSync(path.join(out, name), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
const writeAll = (prefix: string, ps: Params) => Object.entries(ps).forEach(([name, m]) => write(`${prefix}-${name}.bin`, m.data as Float32Array));
const numpy = (...args: string[]) => ['python3', [path.join(REPO, 'scripts/numpy-convnet.py'), '--data-dir', dataDir, ...args]] as const;

const kernels = await createKernels({ threads: 1 });
const data = await loadDataset({ dataset: 'mnist', dataDir, offline: true, fallback: false });
const rng = new Rng(seed);
const spec = { parts: parseLayerSpec(ARCH_LAYERS['simple-convnet']), input: { C: 1, H: 28, W: 28 }, classes: 10 };
const net = new SequentialNet(kernels, spec, { rng, init: 'std', weightInitStd: 0.01 });
const optimizer = new Adam(kernels, 0.001);
writeAll('init', net.params);

// --every: NumPy reads the steps as they come, from a named pipe (a whole run's weights would
// not fit on disk). Each record: the step (int32), the batch (100 int32), the weights, then
// the gradients (float32, in the order of the net's params).
let pipe = -1;
let checker: Promise<number> = Promise.resolve(0);
if (every) {
  const fifo = path.join(out, 'steps.fifo');
  if (spawnSync('mkfifo', [fifo]).status !== 0) throw new Error(`convnet-trace: cannot make the pipe ${fifo}`);
  const [cmd, args] = numpy('--check-pipe', fifo);
  const child = spawn(cmd, args, { stdio: 'inherit' });
  checker = new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  pipe = fs.openSync(fifo, 'w'); // waits for NumPy to open its end
}
const send = (a: Float32Array | Int32Array) => fs.writeSync(pipe, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));

const images = kernels.loadImages(data.train);
const x = kernels.allocImages(100, 784); // x: (100, 784)
const t = new Uint8Array(100);
const batches = new Int32Array(every ? 100 : steps * 100); // batches: (steps, 100) training-set indices
const losses = new Float64Array(steps);
for (let i = 1; i <= steps; i++) {
  const indices = every ? batches : batches.subarray((i - 1) * 100, i * 100);
  rng.choice(data.train.count, indices);
  kernels.gatherImages(x, images, indices);
  for (let k = 0; k < 100; k++) t[k] = data.train.labels[indices[k]];
  const grads = net.gradient(x, t);
  losses[i - 1] = net.lastLoss;
  if (i === at) {
    writeAll('at-params', net.params);
    writeAll('at-grads', grads);
  }
  if (every && i % every === 0) {
    send(new Int32Array([i]));
    send(indices);
    for (const name in net.params) send(net.params[name].data as Float32Array);
    for (const name in net.params) send(grads[name].data as Float32Array);
  }
  optimizer.update(net.params, grads);
}
await kernels.close();

let status: number;
if (every) {
  fs.closeSync(pipe);
  status = await checker;
} else {
  write('batches.bin', batches);
  write('losses.bin', losses);
  const [cmd, args] = numpy('--replay', out, '--replay-at', String(at));
  status = spawnSync(cmd, args, { stdio: 'inherit' }).status ?? 1;
}
fs.rmSync(out, { recursive: true, force: true });
process.exit(status);
