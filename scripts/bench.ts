/**
 * The benchmark: the book's experiment (784-50-10, batch 100, lr 0.1, 10,000 steps, full
 * train + test accuracy after every 600 steps and after the last) with nn-train and with the
 * NumPy implementation in scripts/numpy-reference.py, alternating in one run, on real MNIST.
 *
 *   npm run bench -- [--runs N] [--data-dir DIR] [--iters N] [--float64] [--json]
 *
 * MNIST comes from --data-dir, else NN_TRAIN_MNIST_DIR (the tests' copy).
 *
 * Each program runs as its own process under a small Python wrapper that reports wall time
 * and peak RSS (getrusage of the child). Wall time is the whole process: start-up, loading
 * and decompressing the data, training and evaluation. NumPy runs with the OpenBLAS its wheel
 * picks for this CPU: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which an environment may set for old
 * OpenBLAS builds, are removed for that command alone (they would pin a slower core).
 * Also reported: `nn-train --help` start-up time, and GFLOP/s of the first layer's forward and
 * weight-gradient kernels at batch 100, counted as dense products (2·100·784·50 each).
 *
 *   npm run bench -- --arch simple-convnet [--runs N] [--epochs N] [--data-dir DIR] [--json]
 *
 * The book's SimpleConvNet instead (batch 100, Adam, 600 steps an epoch, 1000-image
 * evaluations after each epoch): nn-train against scripts/numpy-convnet.py (NumPy im2col,
 * float32), alternating, and GFLOP/s of the step's conv and Affine kernels on one thread
 * (scripts/conv-kernel-bench.ts). Its wall time includes each program's final evaluation:
 * nn-train's on the full train and test sets, NumPy's on the test set.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../src/data/datasets.js';
import { createKernels } from '../src/kernels/index.js';
import { measureFirstLayer, type KernelRates } from './kernel-bench.js';
import { measureConvKernels, trainingBatch } from './conv-kernel-bench.js';
import { convWasm } from '../src/kernels/conv-wasm.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Options {
  runs: number;
  dataDir: string;
  iters: number;
  float64: boolean;
  json: boolean;
  arch: 'mlp' | 'simple-convnet';
  epochs: number;
}

function parseArgs(argv: string[]): Options {
  // The real MNIST the tests use: NN_TRAIN_MNIST_DIR, by default ../shared/data/mnist beside the project.
  const dataDir = path.resolve(REPO, process.env.NN_TRAIN_MNIST_DIR || '../shared/data/mnist');
  const o: Options = { runs: 3, dataDir, iters: 10000, float64: false, json: false, arch: 'mlp', epochs: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v;
    };
    const count = (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) fail(`${a} must be a positive integer, got ${v}`);
      return n;
    };
    if (a === '--runs') o.runs = count(value());
    else if (a === '--iters') o.iters = count(value());
    else if (a === '--data-dir') o.dataDir = path.resolve(value());
    else if (a === '--float64') o.float64 = true;
    else if (a === '--json') o.json = true;
    else if (a === '--epochs') o.epochs = count(value());
    else if (a === '--arch') {
      const v = value();
      if (v !== 'mlp' && v !== 'simple-convnet') fail(`--arch must be mlp or simple-convnet, got ${v}`);
      o.arch = v;
    }
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: npm run bench -- [--runs N] [--data-dir DIR] [--iters N] [--float64] [--json]\n       npm run bench -- --arch simple-convnet [--runs N] [--epochs N] [--data-dir DIR] [--json]\n');
      process.exit(0);
    } else fail(`unknown option ${a}`);
  }
  return o;
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

/** Runs a command, returning its stdout, wall seconds and peak RSS in MB. */
const WRAPPER = `
import resource, subprocess, sys, time, json
t = time.perf_counter()
r = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE)
wall = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
sys.stderr.write(json.dumps({"wall": wall, "rssMb": rss, "code": r.returncode}) + "\\n")
sys.stdout.buffer.write(r.stdout)
`;

interface Measured {
  wall: number;
  rssMb: number;
  stdout: string;
}

function measure(cmd: string[], env: NodeJS.ProcessEnv = process.env): Measured {
  const r = spawnSync('python3', ['-c', WRAPPER, ...cmd], { cwd: REPO, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) fail(`cannot run python3: ${r.error.message}`);
  const lines = r.stderr.trim().split('\n');
  const stats = JSON.parse(lines[lines.length - 1]) as { wall: number; rssMb: number; code: number };
  if (stats.code !== 0) fail(`${cmd.join(' ')} exited with ${stats.code}:\n${lines.slice(0, -1).join('\n')}`);
  return { wall: stats.wall, rssMb: stats.rssMb, stdout: r.stdout };
}

interface Result {
  name: string;
  wallSeconds: number; // median over runs
  trainSeconds: number; // median: the program's own timing of training + evaluation
  finalTrainAcc: number;
  finalTestAcc: number;
  finalLoss: number;
  peakRssMb: number; // the largest over runs
  walls: number[];
  note?: string;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function summarize(name: string, runs: { m: Measured; rec: Record<string, unknown> }[], note?: string): Result {
  const last = runs[runs.length - 1].rec;
  return {
    name,
    wallSeconds: median(runs.map((r) => r.m.wall)),
    trainSeconds: median(runs.map((r) => Number(r.rec.seconds))),
    finalTrainAcc: Number(last.finalTrainAcc),
    finalTestAcc: Number(last.finalTestAcc),
    finalLoss: Number(last.finalLoss),
    peakRssMb: Math.max(...runs.map((r) => r.m.rssMb)),
    walls: runs.map((r) => r.m.wall),
    ...(note ? { note } : {}),
  };
}

function nnTrain(o: Options, dtype: string): { m: Measured; rec: Record<string, unknown> } {
  return nnTrainRun(o, ['--iters', String(o.iters), '--dtype', dtype]);
}

/** One nn-train run with `flags`, and its summary record. */
function nnTrainRun(o: Options, flags: string[]): { m: Measured; rec: Record<string, unknown> } {
  const m = measure(['node', 'bin/nn-train.js', ...flags, '--json', '--quiet', '--offline', '--no-fallback', '--data-dir', o.dataDir]);
  const rec = m.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((r) => r.type === 'summary');
  if (rec === undefined) fail('nn-train printed no summary record');
  return { m, rec };
}

/** The environment for NumPy: without the variables that would pin OpenBLAS to a slower core. */
function numpyEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

function numpy(o: Options, dtype: string): { m: Measured; rec: Record<string, unknown> } {
  const env = numpyEnv();
  const m = measure(['python3', 'scripts/numpy-reference.py', o.dataDir, '--dtype', dtype, '--iters', String(o.iters)], env);
  return { m, rec: JSON.parse(m.stdout.trim().split('\n').pop()!) as Record<string, unknown> };
}

/** nn-train's own share of `nn-train --help`'s start-up, flagged above this. */
const HELP_SHARE_TARGET_MS = 50;

/**
 * `nn-train --help`'s start-up, and beside it Node's own start (an empty CommonJS file, as the
 * bin is one, run the same way, alternating). Most of the first is the second, and on a
 * virtual machine both drift from minute to minute, so nn-train is judged by its share: the
 * median of each pair's difference.
 */
function helpMillis(): { help: number; node: number; share: number } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nn-train-bench-'));
  const empty = path.join(dir, 'empty.cjs');
  writeFileSync(empty, '');
  const help: number[] = [];
  const node: number[] = [];
  try {
    for (let i = 0; i < 9; i++) {
      help.push(measure(['node', 'bin/nn-train.js', '--help']).wall * 1000);
      node.push(measure(['node', empty]).wall * 1000);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { help: median(help), node: median(node), share: median(help.map((h, i) => h - node[i])) };
}

async function kernelRates(o: Options): Promise<KernelRates[]> {
  const data = await loadDataset({ dataset: 'mnist', dataDir: o.dataDir, offline: true, fallback: false });
  const rates: KernelRates[] = [];
  for (const [backend, dtype] of [['wasm', 'float32'], ['js', 'float64'], ['reference', 'float32']] as const) {
    rates.push(measureFirstLayer(await createKernels({ backend, dtype, threads: 1 }), data, backend === 'reference' ? 0.3 : 0.5));
  }
  return rates;
}

/**
 * The SimpleConvNet comparison: nn-train and scripts/numpy-convnet.py alternating, then the
 * step's kernels on one thread.
 */
async function convnetBench(o: Options): Promise<void> {
  const runs: { nn: { m: Measured; rec: Record<string, unknown> }[]; np: { m: Measured; rec: Record<string, unknown> }[] } = { nn: [], np: [] };
  for (let r = 1; r <= o.runs; r++) {
    process.stderr.write(`run ${r}/${o.runs}: nn-train simple-convnet`);
    runs.nn.push(nnTrainRun(o, ['--arch', 'simple-convnet', '--epochs', String(o.epochs)]));
    process.stderr.write(', numpy simple-convnet\n');
    const m = measure(['python3', 'scripts/numpy-convnet.py', '--data-dir', o.dataDir, '--epochs', String(o.epochs)], numpyEnv());
    const rec = JSON.parse(m.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    // Its train accuracy is on the first 1000 images (nn-train's final one is on all 60,000).
    runs.np.push({ m, rec: { ...rec, finalTrainAcc: rec.trainAcc } });
  }
  process.stderr.write('convnet kernels\n');
  const data = await loadDataset({ dataset: 'mnist', dataDir: o.dataDir, offline: true, fallback: false });
  const kernels = measureConvKernels(convWasm(), trainingBatch(data.train).images, 0.3);
  const iterations = Number(runs.nn[0].rec.iterations);
  const results = [summarize('nn-train', runs.nn), summarize('numpy float32', runs.np, `OpenBLAS ${String(runs.np[0].rec.openblasCore)}`)];
  const [nn, np] = results;
  const msPerStep = (r: Result) => (1000 * r.trainSeconds) / iterations;
  const record = {
    type: 'bench-convnet',
    arch: o.arch,
    epochs: o.epochs,
    iterations,
    runs: o.runs,
    dataDir: o.dataDir,
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', node: process.version, loadAverage: os.loadavg() },
    results: results.map((r) => ({ ...r, msPerStep: msPerStep(r) })),
    ratioWall: nn.wallSeconds / np.wallSeconds, // nn-train / NumPy, whole-process wall time
    ratioWallPerRun: nn.walls.map((wall, i) => wall / np.walls[i]),
    testAccDiffPoints: (nn.finalTestAcc - np.finalTestAcc) * 100,
    kernels, // one thread, CPU time; GFLOP/s counted as dense products
  };
  if (o.json) {
    process.stdout.write(JSON.stringify(record) + '\n');
    return;
  }
  const lines = [
    `SimpleConvNet: ${o.epochs} epoch(s), ${iterations} steps, median of ${o.runs} run(s), ${record.machine.cpus} cores (${record.machine.model}), load average ${record.machine.loadAverage.map((l) => l.toFixed(2)).join(' ')}`,
    '',
    `${'program'.padEnd(16)}${'wall s'.padStart(9)}${'train s'.padStart(9)}${'ms/step'.padStart(9)}${'train acc'.padStart(11)}${'test acc'.padStart(10)}${'peak RSS'.padStart(10)}${'vs numpy'.padStart(10)}`,
    ...results.map(
      (r) =>
        `${r.name.padEnd(16)}${r.wallSeconds.toFixed(2).padStart(9)}${r.trainSeconds.toFixed(2).padStart(9)}${msPerStep(r).toFixed(1).padStart(9)}${r.finalTrainAcc.toFixed(4).padStart(11)}${r.finalTestAcc.toFixed(4).padStart(10)}${(r.peakRssMb.toFixed(0) + ' MB').padStart(10)}${((r.wallSeconds / np.wallSeconds).toFixed(2) + 'x').padStart(10)}${r.note ? `  ${r.note}` : ''}`,
    ),
    '',
    `nn-train / numpy wall time: ${record.ratioWall.toFixed(2)}x; test accuracy difference ${record.testAccDiffPoints.toFixed(2)} points`,
    `  run by run: ${record.ratioWallPerRun.map((r) => `${r.toFixed(2)}x`).join(' ')} (nn-train ${nn.walls.map((w) => w.toFixed(2)).join(' ')} s; numpy ${np.walls.map((w) => w.toFixed(2)).join(' ')} s)`,
    '  (train acc: nn-train on all 60,000 training images, NumPy on the first 1000)',
    '',
    'The step\'s kernels at batch 100, one thread (GFLOP/s as dense products):',
    ...kernels.map((k) => `  ${k.kernel.padEnd(34)} ${k.shape.padEnd(30)} ${(k.micros / 1000).toFixed(3).padStart(8)} ms${k.gflops > 0 ? k.gflops.toFixed(1).padStart(8) + ' GFLOP/s' : ''}`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  // What bin/nn-train.js runs: the bundle (npm run build writes it last) and the kernels.
  if (!existsSync(path.join(REPO, 'dist/nn-train.js')) || !existsSync(path.join(REPO, 'dist/kernels/nn-kernels.wasm'))) {
    fail('nn-train is not built: run npm run build');
  }
  for (const f of ['train-images-idx3-ubyte', 't10k-images-idx3-ubyte']) {
    if (!existsSync(path.join(o.dataDir, f + '.gz')) && !existsSync(path.join(o.dataDir, f))) fail(`no MNIST in ${o.dataDir} (${f}.gz missing); use --data-dir`);
  }
  if (o.arch === 'simple-convnet') return convnetBench(o);
  const progress = (s: string) => process.stderr.write(s);
  const runs: Record<string, { m: Measured; rec: Record<string, unknown> }[]> = { nn32: [], np32: [], np64: [], nn64: [] };
  for (let r = 1; r <= o.runs; r++) {
    progress(`run ${r}/${o.runs}: nn-train float32`);
    runs.nn32.push(nnTrain(o, 'float32'));
    progress(', numpy float32');
    runs.np32.push(numpy(o, 'float32'));
    progress(', numpy float64');
    runs.np64.push(numpy(o, 'float64'));
    if (o.float64) {
      progress(', nn-train float64');
      runs.nn64.push(nnTrain(o, 'float64'));
    }
    progress('\n');
  }
  progress('nn-train --help start-up, first-layer kernels\n');
  const help = helpMillis();
  const kernels = await kernelRates(o);
  const core = String(runs.np32[0].rec.openblasCore);

  const results = [
    summarize('nn-train float32', runs.nn32),
    summarize('numpy float32', runs.np32, `OpenBLAS ${core}`),
    ...(o.float64 ? [summarize('nn-train float64', runs.nn64)] : []),
    summarize('numpy float64', runs.np64, `OpenBLAS ${core}`),
  ];
  const np32 = results[1];
  const ratio = results[0].wallSeconds / np32.wallSeconds;
  // Each run's nn-train and NumPy float32 ran one right after the other, so their ratio shows
  // how much of the spread is the machine drifting (both slower) and how much is either program.
  const ratioPerRun = results[0].walls.map((wall, i) => wall / np32.walls[i]);
  const record = {
    type: 'bench',
    iterations: o.iters,
    runs: o.runs,
    dataDir: o.dataDir,
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', node: process.version, loadAverage: os.loadavg() },
    results,
    ratioWallFloat32: ratio, // nn-train / NumPy, whole-process wall time
    ratioWallFloat32PerRun: ratioPerRun, // the same for each run's pair
    testAccDiffPoints: (results[0].finalTestAcc - np32.finalTestAcc) * 100,
    helpMillis: help.help,
    nodeStartMillis: help.node, // node running an empty CommonJS file: the floor under helpMillis
    helpShareMillis: help.share, // nn-train's own part: the median of the pairs' differences
    helpShareTargetMillis: HELP_SHARE_TARGET_MS,
    firstLayerKernels: kernels, // GFLOP/s counted as dense products, 2·100·784·50 per call
  };
  if (o.json) {
    process.stdout.write(JSON.stringify(record) + '\n');
    return;
  }
  const pad = (s: string, n: number) => s.padEnd(n);
  const lpad = (s: string, n: number) => s.padStart(n);
  const lines = [
    `The book's experiment: ${o.iters} steps, median of ${o.runs} run(s), ${record.machine.cpus} cores (${record.machine.model})`,
    '',
    `${pad('program', 18)}${lpad('wall s', 9)}${lpad('train s', 9)}${lpad('train acc', 11)}${lpad('test acc', 10)}${lpad('peak RSS', 10)}${lpad('vs numpy32', 12)}`,
    ...results.map(
      (r) =>
        `${pad(r.name, 18)}${lpad(r.wallSeconds.toFixed(2), 9)}${lpad(r.trainSeconds.toFixed(2), 9)}${lpad(r.finalTrainAcc.toFixed(4), 11)}${lpad(r.finalTestAcc.toFixed(4), 10)}${lpad(r.peakRssMb.toFixed(0) + ' MB', 10)}${lpad((r.wallSeconds / np32.wallSeconds).toFixed(2) + 'x', 12)}${r.note ? `  ${r.note}` : ''}`,
    ),
    '',
    `nn-train / numpy float32 wall time: ${ratio.toFixed(2)}x; test accuracy difference ${record.testAccDiffPoints.toFixed(2)} points`,
    `  run by run: ${ratioPerRun.map((r) => `${r.toFixed(2)}x`).join(' ')} (nn-train ${results[0].walls.map((w) => w.toFixed(2)).join(' ')} s; numpy ${np32.walls.map((w) => w.toFixed(2)).join(' ')} s)`,
    `nn-train --help: ${help.share.toFixed(0)} ms on top of Node's own start (target: under ${HELP_SHARE_TARGET_MS} ms${help.share >= HELP_SHARE_TARGET_MS ? ': OVER' : ''}; ${help.help.toFixed(0)} ms in all, Node alone with an empty CommonJS file ${help.node.toFixed(0)} ms)`,
    '',
    'First layer at batch 100 (GFLOP/s as dense 100x784x50 products; zero pixels are skipped):',
    ...kernels.map((k) => `  ${pad(k.backend, 20)} forward ${k.forwardGflops.toFixed(1).padStart(6)} (${k.forwardMicros.toFixed(0)} us)   weight gradient ${k.weightGradGflops.toFixed(1).padStart(6)} (${k.weightGradMicros.toFixed(0)} us)`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

await main();
