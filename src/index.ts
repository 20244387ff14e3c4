// The library's public surface: the engine, with no side effects on import.
export * from './tensor/matrix.js';
export type { Kernels, ImageSource, ForwardOp, Op, OpKind, MatrixOrImages, PendingCount } from './kernels/kernels.js';
export { ImageBatch } from './kernels/image-batch.js';
export { referenceKernels } from './kernels/reference.js';
export { createKernels, defaultThreads, BACKENDS, type Backend, type KernelOptions } from './kernels/index.js';
export { jsKernels } from './kernels/js.js';
export type { Layer } from './layers/layer.js';
export { MulLayer } from './layers/mul-layer.js';
export { AddLayer } from './layers/add-layer.js';
export { InverseNode } from './layers/inverse-node.js';
export { ExpNode } from './layers/exp-node.js';
export { LogNode } from './layers/log-node.js';
export { RepeatSumNode } from './layers/repeat-sum-node.js';
export { Relu } from './layers/relu.js';
export { Sigmoid } from './layers/sigmoid.js';
export { Dropout } from './layers/dropout.js';
export { Affine } from './layers/affine.js';
export { SoftmaxWithLoss } from './layers/softmax-with-loss.js';
export type { Network, Params } from './network/network.js';
export { TwoLayerNet } from './network/two-layer-net.js';
export { numericalGradient } from './network/numerical-gradient.js';
export { gradientCheck, type ParamCheck } from './network/gradient-check.js';
export { Rng } from './tensor/rng.js';
export { train, Diverged, type TrainEvent, type TrainOptions, type TrainProgress, type TrainSummary } from './train/trainer.js';
export { evaluate } from './train/evaluate.js';
export { Sgd } from './train/optimizers/sgd.js';
export type { Optimizer, OptimizerState } from './train/optimizers/optimizer.js';
export type { Dataset, DatasetInfo, ImageSet } from './data/dataset.js';
export { DATASET_NAMES, type DatasetName } from './data/dataset-names.js';
export {
  loadDataset,
  ensureDataset,
  type LoadOptions,
  type DataEvent,
  type FileStatus,
  type EnsureResult,
} from './data/datasets.js';
export { parseIdxImages, parseIdxLabels, parseIdxPair, decodeIdxFile } from './data/idx.js';
export { ChecksumError, DownloadError } from './data/download.js';
export * from './errors.js';
export { MultiLayerNet, ACTIVATION_NAMES, type ActivationName, type MultiLayerNetSpec } from './network/multi-layer-net.js';
export { buildNetwork, parseHidden, type NetworkSettings } from './network/build-network.js';
export { initStd, initWeights, INIT_NAMES, type InitName } from './network/init.js';
export { gradStats, type LayerGradStats } from './network/grad-stats.js';
export { Momentum } from './train/optimizers/momentum.js';
export { AdaGrad } from './train/optimizers/adagrad.js';
export { Adam } from './train/optimizers/adam.js';
export { createOptimizer, DEFAULT_LR, OPTIMIZER_NAMES, type OptimizerName, type OptimizerSettings } from './train/optimizers/index.js';
export { confusionMatrix, confusionOf, predictClasses, recalls, precisions, accuracyOf, type ConfusionMatrix } from './train/confusion.js';
export { saveModel, loadModel, encodeModel, decodeModel, type LoadedModel, type ModelMetadata } from './model/model-file.js';
export { encodeSafetensors, decodeSafetensors, SafetensorsError, type SafetensorsFile, type Tensor } from './model/safetensors.js';
export { encodeCheckpoint, decodeCheckpoint, readCheckpoint, writeCheckpoint, type Checkpoint } from './model/checkpoint.js';
export { captureTraining, readTrainingState, restoreTraining, type TrainingState } from './train/checkpoint-state.js';
