/**
 * GFLOP/s of the first layer's kernels at the book's batch: forward (100x784 · 784x50) and
 * weight gradient (784x100 · 100x50), on real MNIST batches. FLOPs are counted as for the
 * dense product (2·N·D·H per call), whatever the kernel skips: that is the work it replaces.
 *
 * Run alone: npx tsx scripts/kernel-bench.ts [--data-dir DIR] [--backend B] [--dtype D] [--threads N]
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dataset } from '../src/data/dataset.js';
import { loadDataset } from '../src/data/datasets.js';
import { createKernels, type Backend } from '../src/kernels/index.js';
import type { Kernels } from '../src/kernels/kernels.js';
import type { DType } from '../src/tensor/matrix.js';
import { Rng } from '../src/tensor/rng.js';

export interface KernelRates {
  backend: string;
  forwardGflops: number;
  weightGradGflops: number;
  forwardMicros: number;
  weightGradMicros: number;
}

const N = 100, D = 784, H = 50;

export function measureFirstLayer(kernels: Kernels, data: Dataset, seconds = 0.5): KernelRates {
  const rng = new Rng(1);
  const images = kernels.loadImages(data.train);
  const batches = 64;
  const xs = Array.from({ length: batches }, () => {
    const x = kernels.allocImages(N, D); // x: (100, 784)
    kernels.gatherImages(x, images, rng.choice(data.train.count, new Int32Array(N)));
    return x;
  });
  const W = kernels.alloc(D, H); // W: (784, 50)
  for (let i = 0; i < W.data.length; i++) W.data[i] = 0.01 * rng.normal();
  const b = kernels.alloc(1, H);
  const out = kernels.alloc(N, H); // out: (100, 50)
  const dout = kernels.alloc(N, H); // dout: (100, 50)
  for (let i = 0; i < dout.data.length; i++) dout.data[i] = 0.01 * rng.normal();
  const dW = kernels.alloc(D, H); // dW: (784, 50)

  const time = (f: (x: (typeof xs)[number]) => void): number => {
    for (let i = 0; i < batches; i++) f(xs[i]); // warm up
    let calls = 0;
    const start = performance.now();
    let now = start;
    while (now - start < seconds * 1000) {
      for (let i = 0; i < batches; i++) f(xs[i]);
      calls += batches;
      now = performance.now();
    }
    return ((now - start) * 1000) / calls; // microseconds per call
  };
  const forwardMicros = time((x) => kernels.affineForward(out, x, W, b));
  const weightGradMicros = time((x) => kernels.matmulTransA(dW, x, dout));
  const flops = 2 * N * D * H;
  return {
    backend: kernels.name,
    forwardGflops: flops / forwardMicros / 1000,
    weightGradGflops: flops / weightGradMicros / 1000,
    forwardMicros,
    weightGradMicros,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const arg = (name: string, fallback: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const dataDir = arg('--data-dir', path.resolve(repo, process.env.NN_TRAIN_MNIST_DIR || '../shared/data/mnist'));
  const data = await loadDataset({ dataset: 'mnist', dataDir, offline: true, fallback: false });
  const threads = Number(arg('--threads', '1'));
  const kernels = await createKernels({ backend: arg('--backend', 'auto') as Backend, dtype: arg('--dtype', 'float32') as DType, threads });
  console.log(JSON.stringify(measureFirstLayer(kernels, data)));
}
