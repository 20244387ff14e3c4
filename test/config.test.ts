import { describe, expect, it } from 'vitest';
import { parseOptions } from '../src/cli/parse-options.js';
import { buildProgram } from '../src/cli/program.js';
import { DEFAULTS, GradcheckConfig, TrainConfig } from '../src/config.js';

// The zod schema's defaults are the book's experiment.

describe('TrainConfig defaults', () => {
  it("are the book's train_neuralnet.py", () => {
    const c = TrainConfig.parse({});
    expect(c.hidden).toEqual([50]);
    expect(c.epochs).toBe(17);
    expect(c.iters).toBeUndefined();
    expect(c.batchSize).toBe(100);
    expect(c.lr).toBe(0.1);
    expect(c.weightInitStd).toBe(0.01);
    expect(c.seed).toBe(DEFAULTS.seed);
    expect(c.dataset).toBe('mnist');
    expect(c.fallback).toBe(true);
    expect(c.json).toBe(false);
    expect(c.color).toBe(true);
    expect(c.gradcheck).toBe(false);
  });

  it('commander hands the same defaults to the schema', async () => {
    const program = buildProgram();
    const train = program.commands.find((c) => c.name() === 'train')!;
    train.parseOptions([]);
    const c = parseOptions(TrainConfig, train.opts());
    expect({ hidden: c.hidden, epochs: c.epochs, batchSize: c.batchSize, lr: c.lr, weightInitStd: c.weightInitStd, seed: c.seed }).toEqual({
      hidden: [50],
      epochs: 17,
      batchSize: 100,
      lr: 0.1,
      weightInitStd: 0.01,
      seed: 42,
    });
  });

  it('coerces the strings commander gives', () => {
    const c = parseOptions(TrainConfig, { hidden: '100', iters: '10000', batchSize: '32', lr: '0.05', seed: '7' });
    expect(c).toMatchObject({ hidden: [100], iters: 10000, batchSize: 32, lr: 0.05, seed: 7 });
  });

  it('gradcheck defaults to the book: first 3 images, tolerance 1e-6', () => {
    const c = GradcheckConfig.parse({});
    expect(c).toMatchObject({ count: 3, tolerance: 1e-6, hidden: [50], weightInitStd: 0.01 });
  });
});
