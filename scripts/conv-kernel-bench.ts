/**
 * GFLOP/s of the convnet kernels (./src/kernels/assembly/conv.ts) on one thread, at the
 * shapes of the book's SimpleConvNet with batch 100, on real MNIST images (a batch drawn at
 * random from the training set), and the sum of one training step's kernels in ms.
 * FLOPs are counted as for the dense computation (2 multiply-adds per filter tap and
 * position), whatever a kernel skips: that is the work it replaces. Times are this
 * process's CPU time (on a shared machine, wall time counts other programs' turns too), the
 * best of several rounds.
 *
 * Run alone: npx tsx scripts/conv-kernel-bench.ts [--data-dir DIR] [--seconds S] [--json]
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { wasmModule } from '../src/kernels/wasm-module.js';
import { loadDataset } from '../src/data/datasets.js';
import type { FilterShape } from '../src/kernels/conv-reference.js';
import { convWasm, type ConvWasm } from '../src/kernels/conv-wasm.js';
import type { Matrix } from '../src/tensor/matrix.js';
import { Rng } from '../src/tensor/rng.js';

export interface KernelTiming {
  kernel: string;
  shape: string;
  micros: number; // per call, best round
  gflops: number; // dense-equivalent
  inStep: boolean; // one of a SimpleConvNet training step's kernels
}

const N = 100, FN = 30, HID = 100, CLASSES = 10;
const conv: FilterShape = { N, C: 1, H: 28, W: 28, FN, FH: 5, FW: 5, stride: 1, pad: 0 };
const pool = { N, C: FN, H: 24, W: 24, FH: 2, FW: 2, stride: 2, pad: 0 };
const P = 24 * 24, Q = FN * 12 * 12; // conv positions; pooled values per image (4320)

/** This process's CPU time so far, in microseconds. */
function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Best-of-rounds CPU microseconds per call of f. */
function time(f: () => void, seconds: number): number {
  f(); // warm up (and compile)
  let best = Infinity;
  const rounds = 5;
  for (let r = 0; r < rounds; r++) {
    let calls = 0;
    const start = cpuMicros();
    let now = start;
    while (now - start < (seconds * 1e6) / rounds || calls < 2) {
      f();
      calls++;
      now = cpuMicros();
    }
    best = Math.min(best, (now - start) / calls);
  }
  return best;
}

function fill(m: Matrix, rng: Rng, scale: number, zeros = 0): Matrix {
  for (let i = 0; i < m.data.length; i++) m.data[i] = rng.uniform() < zeros ? 0 : scale * rng.normal();
  return m;
}

/** The kernels of one SimpleConvNet step, timed on `images` (N, 784) floats in [0, 1]. */
export function measureConvKernels(k: ConvWasm, images: Float32Array, seconds = 0.3): KernelTiming[] {
  const rng = new Rng(1);
  const x = k.alloc(N, 784); // x: (N, 1*28*28)
  x.data.set(images);
  const W1 = fill(k.alloc(FN, 25), rng, 0.1); // W1: (30, 1*5*5)
  const b1 = fill(k.alloc(1, FN), rng, 0.01); // b1: (1, 30)
  const a1 = k.alloc(N, FN * P); // a1: (N, 30*24*24)
  k.convForward(a1, x, W1, b1, conv, { sparse: true });
  for (let i = 0; i < a1.data.length; i++) a1.data[i] = Math.max(0, a1.data[i]); // ReLU, as in the net
  const pooled = k.alloc(N, Q); // pooled: (N, 30*12*12)
  const argmax = k.int32(N * Q); // argmax: (N, 30*12*12)
  k.maxPoolForward(pooled, argmax, a1, pool);
  const W2 = fill(k.alloc(Q, HID), rng, 0.01); // W2: (4320, 100)
  const h = k.alloc(N, HID); // h: (N, 100)
  const dh = fill(k.alloc(N, HID), rng, 0.01); // dh: (N, 100)
  const dW2 = k.alloc(Q, HID); // dW2: (4320, 100)
  const dpooled = k.alloc(N, Q); // dpooled: (N, 4320)
  const W2t = k.alloc(HID, Q); // W2t: (100, 4320)
  const da1 = k.alloc(N, FN * P); // da1: (N, 30*24*24)
  const dW1 = k.alloc(FN, 25); // dW1: (30, 25)
  const db1 = k.alloc(1, FN); // db1: (1, 30)
  const W3 = fill(k.alloc(HID, CLASSES), rng, 0.1); // W3: (100, 10)
  const scores = k.alloc(N, CLASSES);
  const dW3 = k.alloc(HID, CLASSES);
  const dscores = fill(k.alloc(N, CLASSES), rng, 0.01);

  const convFlops = 2 * N * P * 25 * FN;
  const affineFlops = 2 * N * Q * HID;
  const rows: KernelTiming[] = [];
  const add = (kernel: string, shape: string, flops: number, inStep: boolean, f: () => void) => {
    const micros = time(f, seconds);
    rows.push({ kernel, shape, micros, gflops: flops / micros / 1000, inStep });
  };
  // The step as the fused first block runs it (inStep), then the unfused kernels for comparison.
  add('convReluPoolForward (fused)', '100x1x28x28 * 30x5x5 -> pool', convFlops, true, () => k.convReluPoolForward(pooled, argmax, x, W1, b1, conv));
  add('sgemmNN affine forward', '100x4320 . 4320x100', affineFlops, true, () => k.sgemmNN(h, pooled, W2));
  add('sgemmTN affine dW', '4320x100^T . 100x100', affineFlops, true, () => k.sgemmTN(dW2, pooled, dh));
  add('sgemmNT affine dx', '100x100 . (4320x100)^T', affineFlops, true, () => k.sgemmNT(dpooled, dh, W2));
  add('  of which transpose', '4320x100', 0, false, () => k.transpose(W2t, W2));
  add('convWeightGradPooled (fused, dW and db)', '30x5x5 over 100 images', convFlops, true, () => k.convWeightGradPooled(dW1, db1, x, dpooled, pooled, argmax, conv));
  add('sgemm affine 2 (fwd, dW, dx)', '100x100 . 100x10', 3 * 2 * N * HID * CLASSES, true, () => {
    k.sgemmNN(scores, h, W3);
    k.sgemmTN(dW3, h, dscores);
    k.sgemmNT(dh, dscores, W3);
  });
  const mW2 = k.alloc(Q, HID), vW2 = k.alloc(Q, HID); // Adam's moments of W2: (4320, 100)
  const adam = { beta1: 0.9, beta2: 0.999, lrT: 0.001, eps: 1e-7 };
  add('adamUpdate W2 (one pass)', '4320x100', 0, true, () => k.adamUpdate(W2, mW2, vW2, dW2, adam));
  add('convForward direct (stride 1)', '100x1x28x28 * 30x5x5', convFlops, false, () => k.convForward(a1, x, W1, b1, conv, { sparse: true }));
  add('convForward im2col+sgemm', '100x1x28x28 * 30x5x5', convFlops, false, () => k.convForward(a1, x, W1, b1, conv));
  add('maxPoolForward 2x2 s2', '100x30x24x24', 0, false, () => k.maxPoolForward(pooled, argmax, a1, pool));
  add('maxPoolBackward', '100x30x12x12', 0, false, () => k.maxPoolBackward(da1, dpooled, argmax, pool));
  // The conv's dout as the unfused chain makes it: routed by the pool, masked by ReLU.
  for (let i = 0; i < da1.data.length; i++) if (!(a1.data[i] > 0)) da1.data[i] = 0;
  add('convWeightGrad (nonzero dout)', '30x5x5 over 100 images', convFlops, false, () => k.convWeightGrad(dW1, x, da1, conv));
  add('convBiasGrad', '30 over 100x576', 0, false, () => k.convBiasGrad(db1, da1, conv));
  const dx = k.alloc(N, 784);
  add('convInputGrad (not in this net)', '100x30x24x24 -> 100x1x28x28', convFlops, false, () => k.convInputGrad(dx, da1, W1, conv));
  return rows;
}

// A second thread for measureStep: runs one kernel export at a time over the shared memory,
// posted through a control block (seq, done, kernel, argument count; then f64 arguments).
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { memory, module, control, names } = workerData;
const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
const ctrl = new Int32Array(memory.buffer, control, 8);
const args = new Float64Array(memory.buffer, control + 32, 32);
let seq = 0;
for (;;) {
  Atomics.wait(ctrl, 0, seq);
  seq = Atomics.load(ctrl, 0);
  if (ctrl[2] < 0) break;
  kernels[names[ctrl[2]]](...Array.from(args.subarray(0, ctrl[3])));
  Atomics.store(ctrl, 1, seq);
  Atomics.notify(ctrl, 1);
}`;

/**
 * Wall milliseconds of one SimpleConvNet training step's kernels (batch 100) on `threads`
 * threads (1 or 2): each kernel split as the integrator would (images, rows or filters in
 * halves), the main thread taking the first half and waiting for the second. The step's
 * small parts (second Affine, softmax, biases) are left out: they are microseconds.
 */
export async function measureStep(k: ConvWasm, images: Float32Array, threads: 1 | 2, seconds = 2): Promise<number> {
  const rng = new Rng(2);
  const e = k.exports as unknown as Record<string, (...a: number[]) => void>;
  const names = Object.keys(e).filter((n) => typeof e[n] === 'function');
  const ctrlPtr = k.heap.allocBytes(32 + 32 * 8); // control: 8 i32, then 32 f64 arguments
  const ctrl = new Int32Array(k.memory.buffer, ctrlPtr, 8);
  const args = new Float64Array(k.memory.buffer, ctrlPtr + 32, 32);
  const worker = threads === 2 ? new Worker(WORKER_SOURCE, { eval: true, workerData: { memory: k.memory, module: wasmModule(), control: ctrlPtr, names } }) : null;
  let seq = 0;
  /** Runs kernel `name` with its second-half arguments `b` on the worker and `a` here (both here with one thread). */
  const split = (name: string, a: number[], b: number[]) => {
    if (worker === null) {
      e[name](...a);
      e[name](...b);
      return;
    }
    args.set(b);
    ctrl[2] = names.indexOf(name);
    ctrl[3] = b.length;
    Atomics.store(ctrl, 0, ++seq);
    Atomics.notify(ctrl, 0);
    e[name](...a);
    while (Atomics.load(ctrl, 1) !== seq) Atomics.wait(ctrl, 1, seq - 1, 1);
  };
  const p = (m: Matrix | Int32Array) => ('data' in m ? m.data.byteOffset : m.byteOffset);
  const x = k.alloc(N, 784); // x: (N, 784)
  x.data.set(images);
  const W1 = fill(k.alloc(FN, 25), rng, 0.1), b1 = fill(k.alloc(1, FN), rng, 0.01); // W1: (30, 25)
  const pooled = k.alloc(N, Q), argmax = k.int32(N * Q); // pooled, argmax: (N, 4320)
  const W2 = fill(k.alloc(Q, HID), rng, 0.01), W2t = k.alloc(HID, Q); // W2: (4320, 100)
  const h = k.alloc(N, HID), dh = fill(k.alloc(N, HID), rng, 0.01); // h, dh: (N, 100)
  const dW2 = k.alloc(Q, HID), dpooled = k.alloc(N, Q), dW1 = k.alloc(FN, 25), db1 = k.alloc(1, FN);
  const m2 = k.alloc(Q, HID), v2 = k.alloc(Q, HID); // Adam's moments of W2
  // Per-thread scratch: img (28+16 wide), rows, band (30, 2, 28), acc (40), list (148 entries).
  const scratch = [0, 1].map(() => ({ img: k.heap.allocBytes(28 * 44 * 4), rows: k.heap.allocBytes(64 * 4), band: k.heap.allocBytes(FN * 2 * 28 * 4), acc: k.heap.allocBytes(40 * 4), list: k.heap.allocBytes(148 * 8) }));
  const half = N / 2;
  const conv = (n0: number, n1: number, t: number) => [p(pooled), p(argmax), p(x), p(W1), p(b1), n0, n1, 1, 28, 28, FN, 5, 5, 0, 24, 24, scratch[t].img, scratch[t].rows, scratch[t].band];
  const wgrad = (f0: number, f1: number, t: number) => [p(dW1), p(db1), p(x), p(dpooled), p(pooled), p(argmax), 0, N, f0, f1, 1, 28, 28, FN, 5, 5, 24, 24, scratch[t].acc, scratch[t].list];
  const step = () => {
    split('convReluPoolForward', conv(0, half, 0), conv(half, N, 1));
    split('sgemmNN', [p(h), p(pooled), p(W2), 0, half, Q, HID, 0], [p(h), p(pooled), p(W2), half, N, Q, HID, 0]);
    split('sgemmTN', [p(dW2), p(pooled), p(dh), 0, Q / 2, N, Q, HID, 0], [p(dW2), p(pooled), p(dh), Q / 2, Q, N, Q, HID, 0]);
    e.transpose(p(W2t), p(W2), Q, HID);
    split('sgemmNT', [p(dpooled), p(dh), p(W2), 0, half, HID, Q, p(W2t), 1], [p(dpooled), p(dh), p(W2), half, N, HID, Q, p(W2t), 1]);
    split('convWeightGradPooled', wgrad(0, FN / 2, 0), wgrad(FN / 2, FN, 1));
    const n = Q * HID;
    split('adamUpdate', [p(W2), p(m2), p(v2), p(dW2), 0, n / 2, 0.9, 0.999, 1e-3, 1e-7], [p(W2), p(m2), p(v2), p(dW2), n / 2, n, 0.9, 0.999, 1e-3, 1e-7]);
  };
  try {
    for (let i = 0; i < 10; i++) step();
    let best = Infinity;
    const deadline = performance.now() + seconds * 1000;
    while (performance.now() < deadline) {
      const t0 = performance.now();
      for (let i = 0; i < 5; i++) step();
      best = Math.min(best, (performance.now() - t0) / 5);
    }
    return best;
  } finally {
    if (worker !== null) {
      ctrl[2] = -1;
      Atomics.store(ctrl, 0, ++seq);
      Atomics.notify(ctrl, 0);
      await worker.terminate();
    }
  }
}

/** A batch of N training images drawn at random, scaled to [0, 1]: (N, 784), and its fraction of nonzero pixels. */
export function trainingBatch(train: { count: number; images: Uint8Array }): { images: Float32Array; nonzero: number } {
  const rng = new Rng(7);
  const images = new Float32Array(N * 784); // images: (N, 784)
  let nonzero = 0;
  for (let i = 0; i < N; i++) {
    const n = rng.int(train.count);
    for (let p = 0; p < 784; p++) {
      const v = train.images[n * 784 + p];
      images[i * 784 + p] = v / 255;
      if (v !== 0) nonzero++;
    }
  }
  return { images, nonzero: nonzero / (N * 784) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const { values } = parseArgs({
    options: { 'data-dir': { type: 'string' }, seconds: { type: 'string', default: '0.3' }, json: { type: 'boolean', default: false } },
  });
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const dataDir = values['data-dir'] ?? path.resolve(repo, process.env.NN_TRAIN_MNIST_DIR || '../shared/data/mnist');
  const data = await loadDataset({ dataset: 'mnist', dataDir, offline: true, fallback: false });
  const { images, nonzero } = trainingBatch(data.train);
  const rows = measureConvKernels(convWasm(), images, Number(values.seconds));
  const stepMs = rows.filter((r) => r.inStep).reduce((s, r) => s + r.micros, 0) / 1000;
  const stepWall = { one: await measureStep(convWasm(), images, 1), two: await measureStep(convWasm(), images, 2) };
  if (values.json) {
    console.log(JSON.stringify({ type: 'conv-kernels', nonzeroPixels: nonzero, kernels: rows, stepMsOneThread: stepMs, stepWallMs: stepWall }));
  } else {
    console.log(`batch ${N}, nonzero pixels ${(100 * nonzero).toFixed(1)}%, one thread`);
    for (const r of rows) {
      console.log(`${r.kernel.padEnd(34)} ${r.shape.padEnd(30)} ${(r.micros / 1000).toFixed(3).padStart(8)} ms ${r.gflops > 0 ? r.gflops.toFixed(1).padStart(6) + ' GFLOP/s' : ''}`);
    }
    console.log(`one step's kernels (marked in the JSON as inStep), one thread: ${stepMs.toFixed(2)} ms CPU`);
    console.log(`the step's kernels run back to back, wall time: ${stepWall.one.toFixed(2)} ms on 1 thread, ${stepWall.two.toFixed(2)} ms on 2 threads`);
  }
}
