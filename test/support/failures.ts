import { expect } from 'vitest';
import { RuntimeFailure } from '../../src/errors.js';

/** Runs fn and returns the RuntimeFailure it throws, failing the test for anything else. */
export function runtimeFailure(fn: () => unknown): RuntimeFailure {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RuntimeFailure);
    return err as RuntimeFailure;
  }
  throw new Error('expected a RuntimeFailure, but nothing was thrown');
}
