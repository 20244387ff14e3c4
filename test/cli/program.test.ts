import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, expect as globalExpect, it, type ExpectStatic } from 'vitest';
import { referenceKernels } from '../../src/kernels/reference.js';
import { encodeModel } from '../../src/model/model-file.js';
import { encodeSafetensors, type Tensor } from '../../src/model/safetensors.js';
import { buildNetwork } from '../../src/network/build-network.js';
import { Rng } from '../../src/tensor/rng.js';
import { describeMnist, MNIST_DIR, REPO_ROOT } from '../support/mnist.js';
import { BIN, cliEnv, ndjson, oneLineError, run as runCli, type Run } from '../support/run-cli.js';

// Deeper nets, optimizers, saved models, eval, predict and inspect-gradients, through the
// real CLI as a child process on the real MNIST.

const DATA = ['--data-dir', MNIST_DIR, '--offline'];

function records(r: Run): Array<Record<string, any>> {
  return ndjson(r.stdout);
}

/** Colourless runs: these tests compare plain text. */
function run(args: string[]): Promise<Run> {
  return runCli(args, { NO_COLOR: '1' });
}

/** The one error line, leaving out the `Loaded ...` line of a data set read before the failure. */
function errorLine(r: Run, expect: ExpectStatic = globalExpect): string {
  return oneLineError(r, { expect, skipPrefix: 'Loaded ' });
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'nn-beyond-'));
  // The CLI runs from its bundle in dist/, built once by test/support/build.ts (rebuilding here
  // would rewrite dist/ under the other test files' running processes).
  expect(existsSync(path.join(REPO_ROOT, 'dist/nn-train.js'))).toBe(true);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

// Each case is its own short process: run them side by side (assertions on the test's own expect).
describe.concurrent('usage errors name the flag and exit 2', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--hidden', '100,abc'], /^nn-train: --hidden must list positive integers, e\.g\. 100,100 \(bad entry "abc"\), got "?100,abc"?$/],
    [['--hidden', '100,'], /^nn-train: --hidden must be a comma-separated list of layer sizes/],
    [['--activation', 'tanh'], /^nn-train: --activation must be one of relu, sigmoid, got tanh$/],
    [['--init', 'lecun'], /^nn-train: --init must be one of std, xavier, he, got lecun$/],
    [['--optimizer', 'lion'], /^nn-train: --optimizer must be one of sgd, momentum, adagrad, adam, nesterov, rmsprop, got lion$/],
    [['--momentum', '1.5'], /^nn-train: --momentum must be in \[0, 1\), got 1\.5$/],
    [['--beta2', 'x'], /^nn-train: --beta2 must be a number in \[0, 1\)/],
    [['--save', path.join(tmpdir(), 'no-such-folder-nn', 'm.safetensors')], /^nn-train: --save: no such folder/],
    [['eval'], /^nn-train: --model is required/],
    [['predict', '--model', 'm.safetensors', '--index', '-1'], /^nn-train: --index must be a non-negative integer, got -1$/],
    [['eval', '--model', 'm.safetensors', '--split', 'valid'], /^nn-train: --split must be test or train, got valid$/],
    [['inspect-gradients', '--hidden', '0'], /^nn-train: --hidden must list positive integers/],
    [['gradcheck', '--activation', 'elu'], /^nn-train: --activation must be one of relu, sigmoid, got elu$/],
  ];
  for (const [args, want] of cases) {
    it(args.join(' '), async ({ expect }) => {
      const r = await run([...args, ...DATA]);
      expect(r.code).toBe(2);
      expect(errorLine(r, expect)).toMatch(want);
      expect(r.stdout).toBe('');
    });
  }
});

describe.concurrent('a bad model file: one line on stderr, exit 1, before any data is read', () => {
  const net = buildNetwork(referenceKernels('float32'), new Rng(1), { inputSize: 784, hidden: [5], outputSize: 10, activation: 'relu', init: 'he', weightInitStd: 0.01 });
  const good = encodeModel(net, { dataset: 'mnist' });
  const headerEnd = 8 + Number(new DataView(good.buffer).getBigUint64(0, true));

  function file(name: string, bytes: Uint8Array): string {
    const f = path.join(dir, name);
    writeFileSync(f, bytes);
    return f;
  }

  const flipped = good.slice();
  flipped[8 + 10] ^= 0x04; // a bit inside the JSON header
  const wrongShapes = new Map<string, Tensor>([
    ['W1', { dtype: 'F32', shape: [784, 5], data: new Float32Array(784 * 5) }],
    ['b1', { dtype: 'F32', shape: [5], data: new Float32Array(5) }],
    ['W2', { dtype: 'F32', shape: [6, 10], data: new Float32Array(60) }],
    ['b2', { dtype: 'F32', shape: [10], data: new Float32Array(10) }],
  ]);
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['truncated.safetensors', good.subarray(0, good.length - 100), /: the data region has \d+ bytes but the tensors cover \d+: the file is truncated|past the end of the data/],
    ['truncated-header.safetensors', good.subarray(0, headerEnd - 5), /header length \d+ runs past the end of the file/],
    ['flipped.safetensors', flipped, /^nn-train: model .*flipped\.safetensors: /],
    ['shapes.safetensors', encodeSafetensors(wrongShapes, { activation: 'relu' }), /shapes do not chain: W2 is \[6,10\] but layer 1 has 5 outputs$/],
    ['empty.safetensors', new Uint8Array(0), /file is 0 bytes, too short/],
  ];
  for (const [name, bytes, want] of cases) {
    for (const command of name.startsWith('truncated') || name.startsWith('shapes') ? ['eval', 'predict'] : ['eval']) {
      it(`${command}: ${name}`, async ({ expect }) => {
        const index = command === 'predict' ? ['--index', '0'] : [];
        const r = await run([command, '--model', file(name, bytes), ...index, ...DATA]);
        expect(r.code).toBe(1);
        expect(errorLine(r, expect)).toMatch(want);
        expect(r.stderr).not.toContain('Loaded'); // failed before reading MNIST
        expect(r.stdout).toBe('');
      });
    }
  }

  it('a missing model file', async ({ expect }) => {
    const r = await run(['eval', '--model', path.join(dir, 'nope.safetensors'), ...DATA]);
    expect(r.code).toBe(1);
    expect(errorLine(r, expect)).toMatch(/cannot read model .*nope\.safetensors: no such file$/);
  });
});

describeMnist('on the real MNIST', () => {
  it('gradcheck passes for a deep sigmoid net and a deep ReLU/He net', async () => {
    for (const args of [['--hidden', '20,20,20', '--activation', 'sigmoid'], ['--hidden', '10,10', '--activation', 'relu', '--init', 'he']]) {
      const r = await run(['gradcheck', ...args, '--json', ...DATA]);
      expect(r.code, r.stderr).toBe(0);
      const recs = records(r);
      const checks = recs.filter((x) => x.type === 'gradcheck');
      const layers = args[1].split(',').length + 1;
      expect(checks.map((c) => c.param)).toEqual(Array.from({ length: layers }, (_, i) => [`W${i + 1}`, `b${i + 1}`]).flat());
      for (const c of checks) expect(c.maxAbsDiff).toBeLessThan(1e-6);
      expect(recs.at(-1)).toMatchObject({ type: 'summary', ok: true, activation: args[3] });
    }
  });

  it('inspect-gradients: the gradient vanishes toward the input in a 5-layer sigmoid net, not with ReLU and He', async () => {
    const sig = await run(['inspect-gradients', '--hidden', '100,100,100,100,100', '--activation', 'sigmoid', '--init', 'std', '--json', ...DATA]);
    expect(sig.code, sig.stderr).toBe(0);
    const s = records(sig).filter((x) => x.type === 'gradStats');
    expect(s.map((x) => x.name)).toEqual(['Affine1', 'Affine2', 'Affine3', 'Affine4', 'Affine5', 'Affine6']);
    for (let i = 0; i < 5; i++) expect(s[i].gradNorm * 10).toBeLessThan(s[i + 1].gradNorm); // each layer down: 10x smaller or more
    const relu = await run(['inspect-gradients', '--hidden', '100,100,100,100,100', '--activation', 'relu', '--init', 'he', '--json', ...DATA]);
    const rr = records(relu);
    const r = rr.filter((x) => x.type === 'gradStats');
    for (const l of r) expect(l.gradNorm / r[5].gradNorm).toBeGreaterThan(0.5);
    expect(rr.at(-1)).toMatchObject({ type: 'summary', architecture: '784-100-100-100-100-100-10', activation: 'relu', init: 'he' });
    const table = await run(['inspect-gradients', '--hidden', '100,100,100', '--activation', 'sigmoid', ...DATA]);
    expect(table.stdout).toContain('the gradient vanishes on its way to the input layer');
    expect(table.stdout).toMatch(/│ Affine1 │ 784x100 │/);
  });

  it('train --save with stdout closed early (`| head -1`) still saves the model, and exits 0', async () => {
    const model = path.join(dir, 'piped.safetensors');
    const plot = path.join(dir, 'piped.svg');
    const env = cliEnv({ NO_COLOR: '1' });
    const cmd = `"${process.execPath}" ${BIN} --iters 1200 --save ${model} --plot ${plot} --json ${DATA.join(' ')} | head -1; echo "status=\${PIPESTATUS[0]}" >&2`;
    const child = spawn('bash', ['-c', cmd], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    await new Promise((resolve) => child.on('close', resolve));
    expect(stdout.trim().split('\n').map((l) => JSON.parse(l).type)).toEqual(['config']);
    expect(stderr).toMatch(/status=0\n$/);
    expect(stderr).not.toMatch(/EPIPE|Error|at /);
    expect(existsSync(plot)).toBe(true);
    const e = await run(['eval', '--model', model, '--json', ...DATA]);
    expect(e.code, e.stderr).toBe(0);
    expect(records(e)[0]).toMatchObject({ type: 'eval', architecture: '784-50-10', count: 10000 });
    expect(records(e)[0].accuracy).toBeGreaterThan(0.85);
  });

  it('train --save, then eval reports the same accuracy and predict shows one image', async () => {
    const model = path.join(dir, 'trained.safetensors');
    const t = await run(['--hidden', '32,16', '--optimizer', 'adam', '--init', 'he', '--iters', '300', '--save', model, '--json', ...DATA]);
    expect(t.code, t.stderr).toBe(0);
    const recs = records(t);
    expect(recs[0].config).toMatchObject({ hidden: [32, 16], optimizer: 'adam', lr: 0.001, init: 'he', activation: 'relu' });
    const summary = recs.find((x) => x.type === 'summary')!;
    expect(summary.finalTestAcc).toBeGreaterThan(0.85);
    const confusion = recs.find((x) => x.type === 'confusion')!;
    expect(confusion.matrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(10000);
    expect(confusion.accuracy).toBe(summary.finalTestAcc);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const e = await run(['eval', '--model', model, '--json', ...DATA]);
    expect(e.code, e.stderr).toBe(0);
    const [ev, conf] = records(e);
    expect(ev).toMatchObject({ type: 'eval', architecture: '784-32-16-10', activation: 'relu', dtype: 'float32', split: 'test', count: 10000 });
    expect(ev.accuracy).toBe(summary.finalTestAcc);
    expect(ev.metadata.accuracy).toBe(String(summary.finalTestAcc));
    expect(conf.matrix).toEqual(confusion.matrix);
    const eTrain = await run(['eval', '--model', model, '--split', 'train', '--json', ...DATA]);
    expect(records(eTrain)[0].accuracy).toBe(summary.finalTrainAcc);

    const p = await run(['predict', '--model', model, '--index', '0', '--json', ...DATA]);
    expect(p.code, p.stderr).toBe(0);
    const [pred] = records(p);
    expect(pred).toMatchObject({ type: 'prediction', index: 0, split: 'test', label: 7 }); // MNIST's first test image is a 7
    expect(pred.probabilities.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 5);
    expect(pred.top3[0].class).toBe(pred.predicted);
    expect(pred.top3[0].probability).toBeGreaterThanOrEqual(pred.top3[1].probability);
    const text = await run(['predict', '--model', model, '--index', '0', ...DATA]);
    expect(text.stdout).toMatch(/test image 0: true label 7, predicted \d \((right|wrong)\)/);
    expect(text.stdout).toMatch(/@@/); // the digit's ink
    const big = await run(['predict', '--model', model, '--index', '10000', ...DATA]);
    expect(big.code).toBe(2);
    expect(errorLine(big)).toBe('nn-train: --index must be less than 10000 (the test images), got 10000');
  });
});
