import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ndjson, run } from '../../support/run-cli.js';

// Chapter 6's training flags through the built CLI, on the bundled mnist-10k (offline).
const SMALL = ['--dataset', 'mnist-10k', '--offline', '--json', '--quiet'];
const tmp = mkdtempSync(path.join(tmpdir(), 'nn-train-ch6-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function withoutTimes(records: Array<Record<string, any>>): Array<Record<string, any>> {
  return records.map(({ seconds, elapsedSeconds, imagesPerSecond, ...rest }) => rest);
}

describe('train with chapter 6 flags', () => {
  it('--validation-split: epochs score the validation images (testAcc null), the test set once at the end; same numbers with any --threads', async () => {
    const args = ['--train-size', '1000', '--validation-split', '0.2', '--hidden', '50,50', '--batch-norm', '--dropout', '0.1', '--weight-decay', '0.01', '--epochs', '3', ...SMALL];
    const [a, b] = await Promise.all([run([...args, '--threads', '1']), run([...args, '--threads', '2'])]);
    expect(a.code, a.stderr).toBe(0);
    const records = ndjson(a.stdout);
    const config = records.find((r) => r.type === 'config')!;
    expect(config.config).toMatchObject({ weightDecay: 0.01, dropout: 0.1, batchNorm: true, lossIncludesPenalty: true, trainCount: 800, validationCount: 200, iterPerEpoch: 8 });
    const epochs = records.filter((r) => r.type === 'epoch');
    expect(epochs).toHaveLength(3);
    for (const e of epochs) {
      expect(e.testAcc).toBeNull();
      expect(e.valAcc * 200).toBeCloseTo(Math.round(e.valAcc * 200), 9);
      expect(e.trainAcc * 800).toBeCloseTo(Math.round(e.trainAcc * 800), 9);
    }
    const summary = records.find((r) => r.type === 'summary')!;
    expect(summary.finalValAcc).toBe(epochs[2].valAcc);
    expect(summary.finalTestAcc * 2000).toBeCloseTo(Math.round(summary.finalTestAcc * 2000), 9);
    expect(summary.bestTestAcc).toBeNull();
    const stripped = (s: string) => withoutTimes(ndjson(s)).map((r) => (r.type === 'config' ? { ...r, config: { ...r.config, threads: null } } : r));
    expect(stripped(b.stdout)).toEqual(stripped(a.stdout));
  });

  it('a model (and a checkpoint) with dropout and batch norm is saved with them: eval gives the trained accuracy, the same every time', async () => {
    const file = path.join(tmp, 'bn-dropout.safetensors');
    const checkpoint = path.join(tmp, 'bn-dropout.ckpt.safetensors');
    const trained = await run(['--hidden', '40,30', '--batch-norm', '--dropout', '0.3', '--epochs', '2', '--save', file, '--checkpoint', checkpoint, ...SMALL]);
    expect(trained.code, trained.stderr).toBe(0);
    const summary = ndjson(trained.stdout).find((r) => r.type === 'summary')!;
    const evals = await Promise.all([file, file, checkpoint].map((m) => run(['eval', '--model', m, '--dataset', 'mnist-10k', '--offline', '--json'])));
    const accuracy = evals.map((e) => ndjson(e.stdout).find((r) => r.type === 'eval')!.accuracy);
    expect(accuracy[0]).toBe(summary.finalTestAcc);
    expect(accuracy[1]).toBe(accuracy[0]);
    expect(accuracy[2]).toBe(accuracy[0]);
    const meta = ndjson(evals[0].stdout).find((r) => r.type === 'eval')!.metadata;
    expect(meta).toMatchObject({ batchNorm: 'true', dropout: '0.3' });
  });

  it("nesterov and rmsprop train, at the book's lr 0.01", async () => {
    for (const optimizer of ['nesterov', 'rmsprop']) {
      const r = await run(['--optimizer', optimizer, '--train-size', '2000', '--epochs', '3', ...SMALL]);
      expect(r.code, r.stderr).toBe(0);
      const records = ndjson(r.stdout);
      expect(records.find((x) => x.type === 'config')!.config.lr).toBe(0.01);
      const epochs = records.filter((x) => x.type === 'epoch');
      expect(epochs[2].loss).toBeLessThan(epochs[0].loss);
      expect(records.find((x) => x.type === 'summary')!.finalTestAcc).toBeGreaterThan(0.3);
    }
  });
});
