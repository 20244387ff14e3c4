import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { DEFAULT_MNIST_DIR, describeMnist, haveMnist, MNIST_DIR, REPO_ROOT } from './mnist.js';

it('points MNIST_DIR at NN_TRAIN_MNIST_DIR or the default folder beside the repository', () => {
  const expected = process.env.NN_TRAIN_MNIST_DIR
    ? path.resolve(REPO_ROOT, process.env.NN_TRAIN_MNIST_DIR)
    : path.resolve(REPO_ROOT, DEFAULT_MNIST_DIR);
  expect(MNIST_DIR).toBe(expected);
  expect(existsSync(path.join(REPO_ROOT, 'package.json'))).toBe(true);
});

describeMnist('describeMnist', () => {
  it('runs only when the files are there', () => {
    expect(haveMnist()).toBe(true);
  });
});
