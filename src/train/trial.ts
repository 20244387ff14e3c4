import type { Dataset, ImageSet } from '../data/dataset.js';
import type { Kernels } from '../kernels/kernels.js';
import { buildNetwork, type NetworkSettings } from '../network/build-network.js';
import { Rng } from '../tensor/rng.js';
import { createOptimizer, type OptimizerSettings } from './optimizers/index.js';
import type { TrialDraw, TrialEpoch, TrialResult } from './search.js';
import { train } from './trainer.js';

/** What every trial of a search shares: the net, the optimizer's kind, how long it trains. */
export interface TrialPlan {
  network: Omit<NetworkSettings, 'weightDecay'>; // the trial's draw sets the weight decay
  optimizer: Omit<OptimizerSettings, 'lr'>; // ... and the learning rate
  epochs: number;
  batchSize: number;
}

/**
 * One trial of the random search: a fresh net from the trial's seed, trained for the planned
 * epochs on `data.train` with the drawn lr and weight decay, scored each epoch on the training
 * and validation images (never on the test set). Null if `signal` stopped it before the end:
 * a half-trained trial would rank as if it had finished.
 */
export async function runTrial(kernels: Kernels, data: Dataset, validation: ImageSet, plan: TrialPlan, draw: TrialDraw, signal?: AbortSignal): Promise<TrialResult | null> {
  const rng = new Rng(draw.seed);
  const net = buildNetwork(kernels, rng, { ...plan.network, weightDecay: draw.weightDecay });
  const optimizer = createOptimizer(kernels, { ...plan.optimizer, lr: draw.lr });
  // The book's Trainer: iter_per_epoch = max(train_size / batch_size, 1).
  const iterPerEpoch = Math.max(Math.floor(data.train.count / plan.batchSize), 1);
  const curve: TrialEpoch[] = [];
  const summary = await train(
    net,
    optimizer,
    data,
    rng,
    { iterations: plan.epochs * iterPerEpoch, batchSize: plan.batchSize, iterPerEpoch, signal, validation, scoreTestAtEnd: false },
    (e) => {
      if (e.type === 'epoch') curve.push({ epoch: e.epoch, loss: e.loss, trainAcc: e.trainAcc, valAcc: e.valAcc ?? NaN });
    },
  );
  if (summary.interrupted) return null;
  return { ...draw, valAcc: summary.finalValAcc, trainAcc: summary.finalTrainAcc, curve };
}
