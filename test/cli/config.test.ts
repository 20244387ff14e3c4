import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../src/cli/parse-options.js';
import { buildProgram } from '../../src/cli/program.js';
import { editDistance, nearest } from '../../src/cli/suggest.js';
import { DEFAULTS, GradcheckConfig, TrainConfig } from '../../src/config.js';
import { UsageError } from '../../src/errors.js';

// The config door, in-process: the zod schema's defaults are the book's experiment, and every
// bad value becomes a UsageError (exit 2) whose message names the flag as typed.

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

describe('bad values name the flag', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ batchSize: '0' }, '--batch-size must be a positive integer, got 0'],
    [{ lr: '-1' }, '--lr must be > 0, got -1'],
    [{ lr: 'abc' }, '--lr must be a number > 0, got abc'],
    [{ epochs: '1.5' }, '--epochs must be a positive integer, got 1.5'],
    [{ iters: '0' }, '--iters must be a positive integer, got 0'],
    [{ weightInitStd: '0' }, '--weight-init-std must be > 0, got 0'],
    [{ seed: '-3' }, '--seed must be an integer from 0 to 4294967295, got -3'],
    [{ dtype: 'float16' }, '--dtype must be float32 or float64, got float16'],
    [{ dataset: 'cifar' }, '--dataset must be one of mnist, fashion-mnist, mnist-10k, got cifar'],
    [{ mirror: 'ftp://example.org/' }, '--mirror must be an http:, https: or file: URL, got ftp://example.org/'],
    [{ plot: 'curves.png' }, '--plot must be a file name ending in .svg, got curves.png'],
  ];
  for (const [raw, message] of cases) {
    it(message, () => {
      let caught: unknown;
      try {
        parseOptions(TrainConfig, raw);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(UsageError);
      expect((caught as UsageError).message).toBe(message);
      expect((caught as UsageError).exitCode).toBe(2);
    });
  }
});

describe('suggestions', () => {
  it('finds the nearest command', () => {
    expect(editDistance('gradchek', 'gradcheck')).toBe(1);
    expect(nearest('gradchek', ['train', 'gradcheck', 'demo'])).toBe('gradcheck');
    expect(nearest('trian', ['train', 'gradcheck', 'demo'])).toBe('train');
    expect(nearest('xyzzy', ['train', 'gradcheck', 'demo'])).toBeUndefined();
  });
});
