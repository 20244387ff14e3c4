import { Command, Option } from 'commander';
import { DEFAULTS } from '../../defaults.js';
import { ACTIVATION_NAMES, INIT_NAMES } from '../../network/names.js';
import { OPTIMIZER_NAMES } from '../../train/optimizers/index.js';
import { setJsonErrors } from '../output.js';
import { parseOptions } from '../parse-options.js';
import { addDataOptions, addOutputOptions } from './shared-options.js';

/**
 * `nn-train search`: the book's hyperparameter search (section 6.5.3,
 * hyperparameter_optimization.py). Flags here, validated by SearchConfig (src/config.ts); the
 * run is in search-run.ts.
 */
export function searchCommand(): Command {
  const s = DEFAULTS.search;
  const cmd = new Command('search')
    .description('random search of the learning rate and weight decay, judged on validation images (book 6.5.3)')
    .addOption(new Option('--lr <x|min:max>', 'learning rate: a range min:max drawn log-uniformly, or a fixed value').default(s.lr))
    .addOption(new Option('--weight-decay <x|min:max>', 'L2 weight decay lambda: a log-uniform range or a fixed value (0: none)').default(s.weightDecay))
    .addOption(new Option('--trials <n>', 'trials (trial i is the same whatever runs it)').default(s.trials))
    .addOption(new Option('--epochs <n>', 'epochs each trial trains').default(s.epochs))
    .addOption(new Option('--batch-size <n>', 'images per SGD step').default(DEFAULTS.batchSize))
    .addOption(new Option('--train-size <n>', 'training images used (the first n)').default(s.trainSize))
    .addOption(new Option('--validation-split <f>', 'the last fraction of them held out to judge the trials').default(s.validationSplit))
    .addOption(new Option('--hidden <sizes>', 'hidden layer sizes, a comma list').default(s.hidden, s.hidden.join(',')))
    .addOption(new Option('--activation <name>', `after each hidden layer: ${ACTIVATION_NAMES.join(' | ')}`).default(DEFAULTS.activation))
    .addOption(new Option('--init <name>', `initial weights: ${INIT_NAMES.join(' | ')}`).default(s.init))
    .addOption(new Option('--weight-init-std <x>', 'weights start as this times N(0, 1) (--init std)').default(DEFAULTS.weightInitStd))
    .addOption(new Option('--optimizer <name>', OPTIMIZER_NAMES.join(' | ')).default(DEFAULTS.optimizer))
    .addOption(new Option('--momentum <x>', 'momentum and nesterov: decay of the velocity').default(DEFAULTS.momentum))
    .addOption(new Option('--beta1 <x>', 'adam: decay of the mean gradient').default(DEFAULTS.beta1))
    .addOption(new Option('--beta2 <x>', 'adam: decay of the mean squared gradient').default(DEFAULTS.beta2))
    .addOption(new Option('--dropout <ratio>', 'a Dropout after each hidden activation; 0: none').default(DEFAULTS.dropout))
    .option('--batch-norm', 'a BatchNormalization before each hidden activation')
    .addOption(new Option('--seed <n>', 'search seed: fixes every trial\'s seed and hyperparameters').default(DEFAULTS.seed))
    .addOption(new Option('--jobs <n>', 'processes running trials at once, each on one thread (default: one per core)'))
    .addOption(new Option('--shard <I/N>', 'run only the trials with index % N == I - 1 (to split a search over machines)'))
    .addOption(new Option('--top <n>', 'trials in the final table and plot').default(s.top))
    .option('--plot <file.svg>', "draw the best trials' validation and training accuracy curves to an SVG grid")
    .addOption(new Option('--summarize <files...>', 'rank trial records from NDJSON files (- for stdin) instead of running trials'));
  addDataOptions(cmd);
  addOutputOptions(cmd, 'print NDJSON records (trial, search) instead of the table');
  return cmd
    .addHelpText(
      'after',
      `
Each finished trial prints a \`trial\` record (--json) or a line on stderr; the best trials
follow as a table (a \`search\` record with --json), ranked by final validation accuracy,
ties by trial index. Trials are numbered from 0. The test set is never used.

Examples:
  $ nn-train search --trials 100 --epochs 50 --plot search.svg       # the book's search
  $ nn-train search --shard 1/2 --json > a.ndjson   # on one machine,
  $ nn-train search --shard 2/2 --json > b.ndjson   # on another,
  $ nn-train search --summarize a.ndjson b.ndjson   # ranked as one search`,
    )
    .action(async (raw: Record<string, unknown>) => {
      setJsonErrors(raw.json === true);
      const { SearchConfig } = await import('../../config.js');
      const config = parseOptions(SearchConfig, raw);
      const { runSearch } = await import('./search-run.js');
      await runSearch(config);
    });
}
