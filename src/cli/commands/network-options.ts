import { type Command, Option } from 'commander';
import { DEFAULTS } from '../../defaults.js';
import { ACTIVATION_NAMES, INIT_NAMES } from '../../network/names.js';
import { DEFAULT_LR, OPTIMIZER_NAMES } from '../../train/optimizers/index.js';

/** --hidden, --activation, --init (validated by NetworkOptions in src/config.ts). */
export function addNetworkOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--hidden <sizes>', 'hidden layer sizes, a comma list: 50, or 100,100,100 for three layers').default(DEFAULTS.hidden, DEFAULTS.hidden.join(',')))
    .addOption(new Option('--activation <name>', `after each hidden layer: ${ACTIVATION_NAMES.join(' | ')}`).default(DEFAULTS.activation, DEFAULTS.activation))
    .addOption(new Option('--init <name>', 'initial weights: std (--weight-init-std), xavier (sqrt(1/n_in)), he (sqrt(2/n_in))').default(DEFAULTS.init, DEFAULTS.init));
}

/**
 * --weight-init-std and --seed: where the weights start (validated by TrainFields in
 * src/config.ts). `seedHelp` says what else the seed draws in this command.
 */
export function addStartOptions(cmd: Command, seedHelp: string): Command {
  return cmd
    .addOption(new Option('--weight-init-std <x>', 'weights start as this times N(0, 1) (--init std)').default(DEFAULTS.weightInitStd))
    .addOption(new Option('--seed <n>', seedHelp).default(DEFAULTS.seed));
}

/** --optimizer and its hyperparameters (validated by TrainFields in src/config.ts). */
export function addOptimizerOptions(cmd: Command): Command {
  const lrs = OPTIMIZER_NAMES.map((o) => `${DEFAULT_LR[o]} ${o}`).join(', ');
  return cmd
    .addOption(new Option('--optimizer <name>', `${OPTIMIZER_NAMES.join(' | ')} (book 6.1)`).default(DEFAULTS.optimizer, DEFAULTS.optimizer))
    .addOption(new Option('--lr <x>', `learning rate (default: ${lrs})`))
    .addOption(new Option('--momentum <x>', 'momentum: decay of the velocity').default(DEFAULTS.momentum))
    .addOption(new Option('--beta1 <x>', 'adam: decay of the mean gradient').default(DEFAULTS.beta1))
    .addOption(new Option('--beta2 <x>', 'adam: decay of the mean squared gradient').default(DEFAULTS.beta2));
}

/** --weight-decay, --dropout, --batch-norm (validated by RegularizationOptions in src/config.ts). */
export function addRegularizationOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--weight-decay <lambda>', 'L2 weight decay: 0.5 * lambda * ΣW² added to the loss (book 6.4.2)').default(DEFAULTS.weightDecay))
    .addOption(new Option('--dropout <ratio>', 'a Dropout of this ratio in [0, 1) after each hidden activation (book 6.4.3); 0: none').default(DEFAULTS.dropout))
    .option('--batch-norm', 'a BatchNormalization before each hidden activation (book 6.3)');
}

/** --train-size, --validation-split (validated by SubsetOptions in src/config.ts). */
export function addSubsetOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--train-size <n>', 'train on the first n training images only'))
    .addOption(new Option('--validation-split <f>', 'hold out the last fraction f in (0, 1) of the training images as a validation set (book 6.5.1)'));
}
