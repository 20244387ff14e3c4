import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../../src/model/safetensors.js';
import { describeMnist, MNIST_DIR } from '../support/mnist.js';
import { ndjson, oneLineError, run } from '../support/run-cli.js';

// Convnets through the built CLI: --layers errors, the sampled gradient check, a short
// SimpleConvNet run on real MNIST, and saved conv models read back by eval.

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nn-train-convnet-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const SMALL = 'conv:4x5,relu,pool:2,affine:20,relu,dropout:0.3';

describe('--layers errors', () => {
  it.each([
    ['conv:4x5,relu,pool:2,conv:4x5,pool:9', '--layers: part 5 "pool:9": pool 9x9 is larger than its 8x8 input'],
    ['conv:4x3,frob:2', '--layers: part 2 "frob:2": unknown layer "frob"; expected conv:<filters>x<size>[s<stride>][p<pad>], pool:<size>[s<stride>], affine:<n>, relu, sigmoid or dropout:<ratio>'],
    ['conv:0x3', '--layers: part 1 "conv:0x3": filters must be an integer from 1 to 65536, got 0'],
    ['conv:4x3s0', '--layers: part 1 "conv:4x3s0": stride must be an integer from 1 to 65536, got 0'],
    ['conv:4x30', '--layers: part 1 "conv:4x30": filter 30x30 is larger than its 28x28 input'],
  ])('%s: exit 2, one line', async (spec, message) => {
    const r = await run(['--layers', spec, '--dataset', 'mnist-10k', '--iters', '1']);
    expect(r.code).toBe(2);
    expect(oneLineError(r)).toBe(`nn-train: ${message}`);
  });

  it('--hidden with a convnet is a usage error', async () => {
    const r = await run(['gradcheck', '--arch', 'simple-convnet', '--hidden', '100', '--dataset', 'mnist-10k']);
    expect(r.code).toBe(2);
    expect(oneLineError(r)).toMatch(/^nn-train: --hidden describes the MLP only/);
  });
});

describe('gradcheck of a small convnet', () => {
  it('samples every tensor, holds the dropout masks and passes', async () => {
    const r = await run(['gradcheck', '--layers', SMALL, '--samples', '6', '--dataset', 'mnist-10k', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const records = ndjson(r.stdout);
    const checks = records.filter((x) => x.type === 'gradcheck');
    expect(checks.map((c) => c.param)).toEqual(['W1', 'b1', 'W2', 'b2', 'W3', 'b3']);
    for (const c of checks) {
      expect(c.ok).toBe(true);
      expect(c.maxAbsDiff).toBeLessThan(1e-6);
      expect(c.samples).toBe(Math.min(6, c.size));
    }
    expect(records.at(-1)).toMatchObject({ type: 'summary', ok: true, layers: `${SMALL},affine:10`, samples: 6, count: 3 });
  });
});

describe('saved conv models', () => {
  it('a file whose spec does not match its tensors: exit 1, one line', async () => {
    const file = path.join(dir, 'small.safetensors');
    const t = await run(['--layers', SMALL, '--dataset', 'mnist-10k', '--iters', '2', '--save', file, '--quiet', '--json']);
    expect(t.code, t.stderr).toBe(0);
    const evaluated = await run(['eval', '--model', file, '--dataset', 'mnist-10k', '--json']);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const summary = ndjson(t.stdout).find((x) => x.type === 'summary')!;
    expect(ndjson(evaluated.stdout)[0]).toMatchObject({ type: 'eval', architecture: `${SMALL},affine:10`, accuracy: summary.finalTestAcc });
    const table = await run(['eval', '--model', file, '--dataset', 'mnist-10k']);
    expect(table.stdout.split('\n')[0]).toBe(`Model ${file}: ${SMALL},affine:10, float32 (saved with test accuracy ${summary.finalTestAcc} on mnist-10k)`);

    const svg = path.join(dir, 'filters.svg');
    const drawn = await run(['filters', '--model', file, '--out', svg, '--compare-init']);
    expect(drawn.code, drawn.stderr).toBe(0);
    const text = await readFile(svg, 'utf8');
    expect(text).toMatch(/^<svg /);
    expect(text.match(/<rect x=/g)).toHaveLength(2 * 4 * 25); // trained and initial: 4 filters of 5x5 each
    expect(text).toContain('initial (same seed)');

    const { tensors, metadata } = decodeSafetensors(new Uint8Array(await readFile(file)));
    const bad = path.join(dir, 'bad.safetensors');
    await writeFile(bad, encodeSafetensors(tensors, { ...metadata, layers: SMALL.replace('affine:20', 'affine:30') }));
    const r = await run(['eval', '--model', bad, '--dataset', 'mnist-10k']);
    expect(r.code).toBe(1);
    expect(oneLineError(r)).toMatch(/^nn-train: model .*bad\.safetensors: W2 has shape \[576,20\] but its layers ".*" need \[576,30\]$/);
  });
});

describe('filters of a model without convolutions', () => {
  it('exit 1, one line', async () => {
    const file = path.join(dir, 'mlp.safetensors');
    expect((await run(['--dataset', 'mnist-10k', '--iters', '1', '--save', file, '--quiet'])).code).toBe(0);
    const r = await run(['filters', '--model', file, '--out', path.join(dir, 'f.svg')]);
    expect(r.code).toBe(1);
    expect(oneLineError(r)).toMatch(/has no convolution layer/);
  });
});

describeMnist('SimpleConvNet on MNIST', () => {
  it('--arch simple-convnet --iters 50 --eval-samples 200: the preset, per-epoch accuracies on 200 images, final ones on all', async () => {
    const r = await run(['--arch', 'simple-convnet', '--iters', '50', '--eval-samples', '200', '--json', '--quiet', '--data-dir', MNIST_DIR]);
    expect(r.code, r.stderr).toBe(0);
    const records = ndjson(r.stdout);
    const config = records.find((x) => x.type === 'config')!.config;
    expect(config).toMatchObject({ arch: 'simple-convnet', layers: 'conv:30x5,relu,pool:2,affine:100,relu,affine:10', optimizer: 'adam', lr: 0.001, init: 'std', evalSamples: 200 });
    const epoch = records.find((x) => x.type === 'epoch')!;
    expect(epoch.evalSamples).toEqual({ train: 200, test: 200 });
    const summary = records.find((x) => x.type === 'summary')!;
    expect(summary.evalSamples).toEqual({ train: 60000, test: 10000 });
    expect(summary.finalTestAcc).toBeGreaterThan(0.6); // 50 Adam steps
    expect(records.find((x) => x.type === 'confusion')!.accuracy).toBe(summary.finalTestAcc);
  });

  it.each([
    ['SimpleConvNet', ['--arch', 'simple-convnet', '--iters', '20']],
    ['two convolutions (input gradients, padding)', ['--layers', 'conv:6x3p1,relu,conv:8x3p1,relu,pool:2,affine:30,relu', '--iters', '6']],
  ])('%s: --threads 1, 2 and 3 give the same numbers bit for bit (kernels split by images, filters or rows)', async (_, args) => {
    const results = [];
    for (const threads of ['1', '2', '3']) {
      const r = await run([...args, '--eval-samples', '200', '--threads', threads, '--json', '--quiet', '--data-dir', MNIST_DIR]);
      expect(r.code, r.stderr).toBe(0);
      const { finalLoss, finalTrainAcc, finalTestAcc } = ndjson(r.stdout).find((x) => x.type === 'summary')!;
      results.push({ finalLoss, finalTrainAcc, finalTestAcc });
    }
    expect(Number.isFinite(results[0].finalLoss)).toBe(true);
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });
});
