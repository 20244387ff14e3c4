import * as z from './zod.js';
import { DATASET_NAMES } from './data/dataset-names.js';
import { DEFAULTS } from './defaults.js';
import { BACKENDS } from './kernels/backends.js';
import { parseHidden } from './network/build-network.js';
import { ACTIVATION_NAMES, ARCH_NAMES, INIT_NAMES } from './network/names.js';
import { DEFAULT_LR, OPTIMIZER_NAMES } from './train/optimizers/index.js';
import { parseRange } from './train/search.js';

/**
 * The training run's configuration: one zod schema, one source of truth. Commander hands us
 * raw strings; `TrainConfig.parse` (through src/cli/parse-options.ts) coerces and checks them
 * at the door, and everything past the door uses the inferred `TrainConfigValues` type.
 *
 * To add a flag: add one field to DEFAULTS in src/defaults.ts (with its comment) and one to the
 * schema below, then one `.option()` line in src/cli/commands/train.ts. Error messages are
 * written to follow the flag name: "--lr must be > 0, got -1".
 *
 * Only command actions import this module (with `await import()`): zod costs more start-up time
 * than the rest of `nn-train --help` together. The schemas use zod's functional API
 * (zod/mini: `z.optional(s)` for `s.optional()`, `s.check(z.refine(...))` for `s.refine(...)`):
 * the same checks and messages, but a bundle keeps only the functions used, and a schema
 * is built without attaching zod's methods to it, which makes building and checking the
 * training config markedly cheaper than with the method-chaining API.
 */

export { DEFAULTS };

// Reusable field rules. Each message reads after the flag name.
const positiveInt = (what = 'a positive integer') =>
  z.coerce.number({ error: `must be ${what}` }).check(z.refine((v) => Number.isInteger(v) && v > 0, `must be ${what}`));
const positiveNumber = () =>
  z.coerce.number({ error: 'must be a number > 0' }).check(z.refine((v) => Number.isFinite(v) && v > 0, 'must be > 0'));
/** A comma list of layer sizes, "100,100,100" -> [100, 100, 100] (a bare number is one layer). */
const hiddenList = () =>
  z.pipe(
    z.union([z.string(), z.number(), z.array(z.number())]),
    z.transform((v, ctx) => {
      try {
        return Array.isArray(v) ? parseHidden(v.join(',')) : parseHidden(String(v));
      } catch (err) {
        ctx.issues.push({ code: 'custom', message: (err as Error).message, input: v });
        return z.NEVER;
      }
    }),
  );
const fraction = () =>
  z.coerce.number({ error: 'must be a number in [0, 1)' }).check(z.refine((v) => Number.isFinite(v) && v >= 0 && v < 1, 'must be in [0, 1)'));
const nonNegativeNumber = () =>
  z.coerce.number({ error: 'must be a number >= 0' }).check(z.refine((v) => Number.isFinite(v) && v >= 0, 'must be >= 0'));
const openFraction = () =>
  z.coerce.number({ error: 'must be a number in (0, 1)' }).check(z.refine((v) => Number.isFinite(v) && v > 0 && v < 1, 'must be in (0, 1)'));
/** A non-empty string; `message` (it follows the flag name) if it is empty. */
const nonEmpty = (message: string) => z.string().check(z.minLength(1, message));

/** The network's shape and start; shared by train, gradcheck and inspect-gradients. */
export const NetworkOptions = z.object({
  hidden: z._default(hiddenList(), DEFAULTS.hidden),
  activation: z._default(z.enum(ACTIVATION_NAMES, { error: `must be one of ${ACTIVATION_NAMES.join(', ')}` }), DEFAULTS.activation),
  init: z._default(z.enum(INIT_NAMES, { error: `must be one of ${INIT_NAMES.join(', ')}` }), DEFAULTS.init),
  arch: z._default(z.enum(ARCH_NAMES, { error: `must be one of ${ARCH_NAMES.join(', ')}` }), 'mlp'), // mlp: the net of --hidden
  layers: z.optional(nonEmpty('must list layers, e.g. conv:16x3p1,relu,pool:2,affine:100,relu')), // a sequential net of your own (src/network/layer-spec.ts)
});

/** Chapter 6's regularization and normalization (book 6.3, 6.4); shared by train and search. */
export const RegularizationOptions = z.object({
  weightDecay: z._default(nonNegativeNumber(), DEFAULTS.weightDecay), // L2 lambda: 0.5 * lambda * ΣW² on the loss
  dropout: z._default(fraction(), DEFAULTS.dropout), // Dropout ratio after each hidden activation; 0: none
  batchNorm: z._default(z.boolean(), false), // BatchNormalization before each hidden activation
});

/** Which training images are used, and which of them are held out (book 6.5.1); train and search. */
export const SubsetOptions = z.object({
  trainSize: z.optional(positiveInt()), // the first N training images only
  validationSplit: z.optional(openFraction()), // the last fraction of those held out for validation
});

/** Where the data comes from; shared by every command that reads a data set. */
export const DataOptions = z.object({
  dataset: z._default(z.enum(DATASET_NAMES, { error: `must be one of ${DATASET_NAMES.join(', ')}` }), DEFAULTS.dataset),
  dataDir: z.optional(nonEmpty('must name a folder')), // a folder holding the four IDX files (or the cache to fill)
  mirror: z.optional(z.string().check(z.refine(isMirrorUrl, 'must be an http:, https: or file: URL'))), // replaces the built-in mirrors
  offline: z._default(z.boolean(), false), // never touch the network
  fallback: z._default(z.boolean(), true), // MNIST unreachable -> the bundled mnist-10k, with a warning (--no-fallback: exit 1 instead)
});

/** A saved model and the split it is run on; shared by eval and predict. */
export const ModelOptions = z.object({
  model: z.string({ error: 'is required (a .safetensors file from nn-train --save)' }).check(z.minLength(1, 'must name a file')),
  split: z._default(z.enum(['test', 'train'], { error: 'must be test or train' }), 'test'),
});

/** Where the page server listens (serve, train --serve). */
export const ServeOptions = z.object({
  port: z._default(
    z.coerce
      .number({ error: 'must be a port number from 0 to 65535 (0: any free port)' })
      .check(z.refine((v) => Number.isInteger(v) && v >= 0 && v <= 65535, 'must be a port number from 0 to 65535 (0: any free port)')),
    0,
  ),
  host: z._default(nonEmpty('must name an address to listen on'), '127.0.0.1'), // this machine only, unless the user says otherwise
  open: z._default(z.boolean(), false), // open the page in the system's browser
});

export type ServeOptionValues = z.infer<typeof ServeOptions>;

/** How results are printed; not part of the experiment. */
export const OutputOptions = z.object({
  json: z._default(z.boolean(), false), // NDJSON records on stdout instead of the table
  quiet: z._default(z.boolean(), false), // no spinner, progress, chart or notices
  color: z._default(z.boolean(), true), // false for --no-color
});

export const TrainFields = z.extend(
  z.object({
    epochs: z._default(positiveInt(), DEFAULTS.epochs),
    iters: z.optional(positiveInt()), // total SGD steps; overrides --epochs (the book: 10000)
    batchSize: z._default(positiveInt(), DEFAULTS.batchSize),
    lr: z.optional(positiveNumber()), // unset: DEFAULT_LR of the optimizer
    optimizer: z._default(z.enum(OPTIMIZER_NAMES, { error: `must be one of ${OPTIMIZER_NAMES.join(', ')}` }), DEFAULTS.optimizer),
    momentum: z._default(fraction(), DEFAULTS.momentum),
    beta1: z._default(fraction(), DEFAULTS.beta1),
    beta2: z._default(fraction(), DEFAULTS.beta2),
    save: z.optional(nonEmpty('must name a file')), // write the trained model as .safetensors
    weightInitStd: z._default(positiveNumber(), DEFAULTS.weightInitStd),
    seed: z._default(
      z.coerce
        .number({ error: 'must be an integer from 0 to 4294967295' })
        .check(z.refine((v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff, 'must be an integer from 0 to 4294967295')),
      DEFAULTS.seed,
    ),
    dtype: z._default(z.enum(['float32', 'float64'], { error: 'must be float32 or float64' }), DEFAULTS.dtype),
    backend: z._default(z.enum(BACKENDS, { error: `must be one of ${BACKENDS.join(', ')}` }), DEFAULTS.backend),
    threads: z.optional(positiveInt()),
    gradcheck: z._default(z.boolean(), false), // check backprop against numerical gradients before training
    plot: z.optional(z.string().check(z.refine((v) => /\.svg$/i.test(v), 'must be a file name ending in .svg'))),
    checkpoint: z.optional(nonEmpty('must name a file')), // the whole training state, after every epoch and on Ctrl-C
    resume: z.optional(nonEmpty('must name a file')), // a --checkpoint file to continue from
    evalSamples: z.optional(positiveInt()), // per-epoch accuracies on the first N images of each set; unset: all
  }),
  { ...NetworkOptions.shape, ...RegularizationOptions.shape, ...SubsetOptions.shape, ...DataOptions.shape, ...OutputOptions.shape },
);

/** TrainFields with the learning rate resolved: --lr, else the optimizer's book default. */
export const TrainConfig = z.pipe(
  TrainFields,
  z.transform((c) => ({ ...c, lr: c.lr ?? DEFAULT_LR[c.optimizer] })),
);

export type TrainConfigValues = z.infer<typeof TrainConfig>;
export type DataOptionValues = z.infer<typeof DataOptions>;

export const GradcheckConfig = z.extend(
  z.object({
    weightInitStd: z._default(positiveNumber(), DEFAULTS.weightInitStd),
    seed: TrainFields.shape.seed,
    count: z._default(positiveInt(), DEFAULTS.gradcheckCount),
    tolerance: z._default(positiveNumber(), DEFAULTS.gradcheckTolerance),
    samples: z.optional(positiveInt()), // entries checked per tensor (nets other than the MLP); unset: GRADCHECK_SAMPLES
  }),
  { ...NetworkOptions.shape, ...RegularizationOptions.shape, ...DataOptions.shape, ...OutputOptions.shape },
);

export type GradcheckConfigValues = z.infer<typeof GradcheckConfig>;

/** A --lr or --weight-decay of `nn-train search`: "min:max" (log-uniform) or a fixed number >= (or >) `least`. */
const searchRange = (least: number, inclusive: boolean) =>
  z.pipe(
    z.union([z.string(), z.number()]),
    z.transform((v, ctx) => {
      try {
        return parseRange(String(v), { value: least, inclusive });
      } catch (err) {
        ctx.issues.push({ code: 'custom', message: (err as Error).message, input: v });
        return z.NEVER;
      }
    }),
  );

/** --shard I/N: 1 <= I <= N. */
const shard = () =>
  z.pipe(
    z.string(),
    z.transform((v, ctx) => {
      const m = /^(\d+)\/(\d+)$/.exec(v.trim());
      const [index, count] = m === null ? [NaN, NaN] : [Number(m[1]), Number(m[2])];
      if (!(index >= 1 && count >= 1 && index <= count)) {
        ctx.issues.push({ code: 'custom', message: 'must be I/N with 1 <= I <= N, e.g. 1/4', input: v });
        return z.NEVER;
      }
      return { index, count };
    }),
  );

/** `nn-train search`: the book's hyperparameter_optimization.py (section 6.5.3). */
export const SearchConfig = z.extend(
  z.object({
    lr: z._default(searchRange(0, false), () => parseRange(DEFAULTS.search.lr, { value: 0, inclusive: false })),
    weightDecay: z._default(searchRange(0, true), () => parseRange(DEFAULTS.search.weightDecay, { value: 0, inclusive: true })),
    trials: z._default(positiveInt(), DEFAULTS.search.trials),
    epochs: z._default(positiveInt(), DEFAULTS.search.epochs),
    batchSize: z._default(positiveInt(), DEFAULTS.batchSize),
    optimizer: TrainFields.shape.optimizer,
    momentum: TrainFields.shape.momentum,
    beta1: TrainFields.shape.beta1,
    beta2: TrainFields.shape.beta2,
    weightInitStd: TrainFields.shape.weightInitStd,
    seed: TrainFields.shape.seed,
    hidden: z._default(hiddenList(), DEFAULTS.search.hidden),
    activation: NetworkOptions.shape.activation,
    init: z._default(NetworkOptions.shape.init, DEFAULTS.search.init),
    dropout: RegularizationOptions.shape.dropout,
    batchNorm: RegularizationOptions.shape.batchNorm,
    trainSize: z._default(positiveInt(), DEFAULTS.search.trainSize),
    validationSplit: z._default(openFraction(), DEFAULTS.search.validationSplit),
    jobs: z.optional(positiveInt()), // processes running trials; unset: one per core
    shard: z.optional(shard()),
    top: z._default(positiveInt(), DEFAULTS.search.top),
    plot: TrainFields.shape.plot,
    summarize: z.optional(z.array(z.string())), // trial records to rank instead of running trials
  }),
  { ...DataOptions.shape, ...OutputOptions.shape },
);

export type SearchConfigValues = z.infer<typeof SearchConfig>;

function isMirrorUrl(v: string): boolean {
  try {
    return ['http:', 'https:', 'file:'].includes(new URL(v).protocol);
  } catch {
    return false;
  }
}
