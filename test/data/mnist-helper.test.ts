import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { describeMnist, haveMnist, MNIST_DIR, REPO_ROOT } from '../helpers/mnist.js';

it('points MNIST_DIR at NN_TRAIN_MNIST_DIR or ../shared/data/mnist', () => {
  const expected = process.env.NN_TRAIN_MNIST_DIR
    ? path.resolve(REPO_ROOT, process.env.NN_TRAIN_MNIST_DIR)
    : path.resolve(REPO_ROOT, '../shared/data/mnist');
  expect(MNIST_DIR).toBe(expected);
  expect(existsSync(path.join(REPO_ROOT, 'package.json'))).toBe(true);
});

describeMnist('describeMnist', () => {
  it('runs only when the files are there', () => {
    expect(haveMnist()).toBe(true);
  });
});
