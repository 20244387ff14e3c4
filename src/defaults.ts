import { DEFAULT_LR } from './train/optimizers/index.js';

/**
 * The book's reference experiment, train_neuralnet.py (Deep Learning from Scratch, 5.7.4), as
 * plain values. The help text reads them here and the zod schemas in src/config.ts default to
 * them, so `nn-train --help` shows the real defaults without loading zod.
 */
export const DEFAULTS = {
  hidden: [50], // hidden layer sizes (--hidden 100,100,100 for three); [50] is the book's 784-50-10 network
  activation: 'relu' as const, // relu | sigmoid, after every hidden Affine layer
  init: 'std' as const, // std (weightInitStd * N(0,1)) | xavier (sqrt(1/n_in)) | he (sqrt(2/n_in)), book 6.2
  optimizer: 'sgd' as const, // sgd | momentum | adagrad | adam | nesterov | rmsprop (book 6.1); --lr defaults per optimizer, see DEFAULT_LR
  momentum: 0.9, // momentum's decay of its velocity
  beta1: 0.9, // Adam's decay of the mean gradient
  beta2: 0.999, // Adam's decay of the mean squared gradient
  epochs: 17, // evaluations; 17 * 600 steps is about the book's 10,000 iterations
  batchSize: 100, // images per SGD step
  lr: DEFAULT_LR.sgd, // learning rate of plain SGD (0.01 momentum, 0.01 adagrad, 0.001 adam)
  weightInitStd: 0.01, // weights start as weightInitStd * N(0, 1), biases at zero
  seed: 42, // fixed, so two runs with the same flags give the same numbers
  dtype: 'float32' as const, // training precision; the gradient check always runs in float64
  backend: 'auto' as const, // kernels: auto | wasm | js | reference (src/kernels/backends.ts); the gradient check always uses reference
  threads: undefined as number | undefined, // threads for evaluation; unset: all cores (results are the same with any count)
  weightDecay: 0, // L2 lambda (book 6.4.2: 0.1 in overfit_weight_decay.py); 0 adds nothing
  dropout: 0, // ratio dropped after each hidden activation (book 6.4.3: 0.2 in overfit_dropout.py); 0: no Dropout layers
  dataset: 'mnist' as const, // mnist | fashion-mnist | mnist-10k (bundled, offline)
  /** `nn-train search`: the book's hyperparameter_optimization.py. */
  search: {
    lr: '1e-6:1e-2', // 10^U(-6, -2)
    weightDecay: '1e-8:1e-4', // 10^U(-8, -4)
    trials: 100,
    epochs: 50,
    hidden: [100, 100, 100, 100, 100, 100], // the book's MultiLayerNet there
    init: 'he' as const, // MultiLayerNet's default weight_init_std 'relu'
    trainSize: 500, // the book cuts the training set to 500 images ...
    validationSplit: 0.2, // ... and holds out 20% of them
    top: 20, // trials in the table and the plot (the book plots the best 20)
  },
  gradcheckCount: 3, // training images used by the gradient check (the book's first 3)
  gradcheckTolerance: 1e-6, // a gradient check fails when any |numerical - backprop| exceeds this
};

/**
 * What `--arch` brings besides its layers: the book's training of each convnet (train_convnet.py:
 * Adam lr 0.001, batch 100, 20 epochs, accuracies on 1000 images per epoch). Any flag given on
 * the command line overrides its entry here. The MLP (`--arch mlp`) keeps DEFAULTS as they are.
 */
export const ARCH_PRESETS = {
  'simple-convnet': { optimizer: 'adam', lr: 0.001, epochs: 20, batchSize: 100, evalSamples: 1000, init: 'std', weightInitStd: 0.01 }, // ch07: weight_init_std 0.01
  'deep-convnet': { optimizer: 'adam', lr: 0.001, epochs: 20, batchSize: 100, evalSamples: 1000, init: 'he', weightInitStd: 0.01 }, // ch08: He, sqrt(2 / fan-in)
} as const;

/** The parameter entries a sampled gradient check (any net but the MLP) compares per tensor. */
export const GRADCHECK_SAMPLES = 10;
