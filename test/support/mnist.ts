import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Where the real MNIST is looked for when NN_TRAIN_MNIST_DIR is unset, relative to the repository. */
export const DEFAULT_MNIST_DIR = '../shared/data/mnist';

/**
 * Where the real MNIST lives for tests: NN_TRAIN_MNIST_DIR (relative paths from the repository
 * root), else DEFAULT_MNIST_DIR. Tests read it through the real code path (as a mirror served over
 * 127.0.0.1, or as a data folder); the project never commits a copy.
 */
export const MNIST_DIR = path.resolve(REPO_ROOT, process.env.NN_TRAIN_MNIST_DIR || DEFAULT_MNIST_DIR);

/** The four canonical files and their MD5s. */
export const MNIST_FILES = {
  'train-images-idx3-ubyte.gz': 'f68b3c2dcbeaaa9fbdd348bbdeb94873',
  'train-labels-idx1-ubyte.gz': 'd53e105ee54ea40749a09fcbcd1e9432',
  't10k-images-idx3-ubyte.gz': '9fb629c4189551a2d022fa330f9573f3',
  't10k-labels-idx1-ubyte.gz': 'ec29112dd5afa0611ce80d1b7f02629c',
} as const;

export type MnistFile = keyof typeof MNIST_FILES;

/** True when all four .gz files are present in MNIST_DIR. */
export function haveMnist(): boolean {
  return Object.keys(MNIST_FILES).every((f) => existsSync(path.join(MNIST_DIR, f)));
}

function missingFiles(): string[] {
  return Object.keys(MNIST_FILES).filter((f) => !existsSync(path.join(MNIST_DIR, f)));
}

/** CI=true (or any value but '', 0 or false): tests that need something must then fail, not skip. */
export function isCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/**
 * `describe` for tests that need the real MNIST. Runs when the files are there; when they are
 * missing it FAILS under CI=true (a CI run that silently skips the real data proves nothing)
 * and otherwise skips, saying which folder is missing what.
 */
export function describeMnist(name: string, fn: () => void): void {
  const why = haveMnist() ? undefined : `MNIST not found: ${MNIST_DIR} lacks ${missingFiles().join(', ')} (set NN_TRAIN_MNIST_DIR)`;
  describeNeeding(name, why, 'has the real MNIST files', fn);
}

/**
 * `describe` for tests that need something the machine may lack: `missing` says what is
 * missing (undefined: nothing is). Under CI=true a missing need is a failing test named
 * `check`; elsewhere the tests skip, with `missing` as the reason.
 */
export function describeNeeding(name: string, missing: string | undefined, check: string, fn: () => void): void {
  if (missing === undefined) {
    describe(name, fn);
    return;
  }
  if (isCi()) {
    describe(name, () => {
      it(check, () => {
        throw new Error(`${missing}; CI=true requires it`);
      });
    });
    return;
  }
  console.warn(`skipping "${name}": ${missing}`);
  describe.skip(`${name} (skipped: ${missing})`, fn);
}
