import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../src/cli/parse-options.js';
import { TrainConfig } from '../../src/config.js';
import { UsageError } from '../../src/errors.js';

// The config door, in-process: every bad value becomes a UsageError (exit 2) whose message
// names the flag as typed.

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
