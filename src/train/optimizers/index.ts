import type { Kernels } from '../../kernels/kernels.js';
import { AdaGrad } from './adagrad.js';
import { Adam } from './adam.js';
import { Momentum } from './momentum.js';
import { Nesterov } from './nesterov.js';
import type { Optimizer } from './optimizer.js';
import { RmsProp } from './rmsprop.js';
import { Sgd } from './sgd.js';

export type OptimizerName = 'sgd' | 'momentum' | 'adagrad' | 'adam' | 'nesterov' | 'rmsprop';
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['sgd', 'momentum', 'adagrad', 'adam', 'nesterov', 'rmsprop'];

/** The book's default learning rate for each optimizer (chapter 6.1's comparisons). */
export const DEFAULT_LR: Record<OptimizerName, number> = {
  sgd: 0.1, // train_neuralnet.py (chapter 5)
  momentum: 0.01,
  adagrad: 0.01,
  adam: 0.001,
  nesterov: 0.01,
  rmsprop: 0.01,
};

export interface OptimizerSettings {
  optimizer: OptimizerName;
  lr: number;
  momentum?: number; // momentum and nesterov; 0.9
  beta1?: number; // adam only; 0.9
  beta2?: number; // adam only; 0.999
}

/** An optimizer from its config name and hyperparameters. */
export function createOptimizer(kernels: Kernels, s: OptimizerSettings): Optimizer {
  switch (s.optimizer) {
    case 'sgd':
      return new Sgd(kernels, s.lr);
    case 'momentum':
      return new Momentum(kernels, s.lr, s.momentum ?? 0.9);
    case 'adagrad':
      return new AdaGrad(kernels, s.lr);
    case 'adam':
      return new Adam(kernels, s.lr, s.beta1 ?? 0.9, s.beta2 ?? 0.999);
    case 'nesterov':
      return new Nesterov(kernels, s.lr, s.momentum ?? 0.9);
    case 'rmsprop':
      return new RmsProp(kernels, s.lr);
  }
}
