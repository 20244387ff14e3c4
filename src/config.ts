import * as z from 'zod';
import { DEFAULTS } from './defaults.js';
import { BACKENDS } from './kernels/backends.js';
import { parseHidden } from './network/build-network.js';
import { ACTIVATION_NAMES, INIT_NAMES } from './network/names.js';
import { DEFAULT_LR, OPTIMIZER_NAMES } from './train/optimizers/index.js';

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
 * than the rest of `nn-train --help` together.
 */

export { DEFAULTS };

// Reusable field rules. Each message reads after the flag name.
const positiveInt = (what = 'a positive integer') =>
  z.coerce.number({ error: `must be ${what}` }).refine((v) => Number.isInteger(v) && v > 0, `must be ${what}`);
const positiveNumber = () =>
  z.coerce.number({ error: 'must be a number > 0' }).refine((v) => Number.isFinite(v) && v > 0, 'must be > 0');
/** A comma list of layer sizes, "100,100,100" -> [100, 100, 100] (a bare number is one layer). */
const hiddenList = () =>
  z.union([z.string(), z.number(), z.array(z.number())]).transform((v, ctx) => {
    try {
      return Array.isArray(v) ? parseHidden(v.join(',')) : parseHidden(String(v));
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });
const fraction = () =>
  z.coerce.number({ error: 'must be a number in [0, 1)' }).refine((v) => Number.isFinite(v) && v >= 0 && v < 1, 'must be in [0, 1)');
/** The network's shape and start; shared by train, gradcheck and inspect-gradients. */
export const NetworkOptions = z.object({
  hidden: hiddenList().default(DEFAULTS.hidden),
  activation: z.enum(ACTIVATION_NAMES, { error: `must be one of ${ACTIVATION_NAMES.join(', ')}` }).default(DEFAULTS.activation),
  init: z.enum(INIT_NAMES, { error: `must be one of ${INIT_NAMES.join(', ')}` }).default(DEFAULTS.init),
});

/** Where the data comes from; shared by every command that reads a data set. */
export const DataOptions = z.object({
  dataset: z.enum(['mnist', 'fashion-mnist', 'mnist-10k'], { error: 'must be one of mnist, fashion-mnist, mnist-10k' }).default(DEFAULTS.dataset),
  dataDir: z.string().min(1, 'must name a folder').optional(), // a folder holding the four IDX files (or the cache to fill)
  mirror: z.string().refine(isMirrorUrl, 'must be an http:, https: or file: URL').optional(), // replaces the built-in mirrors
  offline: z.boolean().default(false), // never touch the network
  fallback: z.boolean().default(true), // MNIST unreachable -> the bundled mnist-10k, with a warning (--no-fallback: exit 1 instead)
});

/** A saved model and the split it is run on; shared by eval and predict. */
export const ModelOptions = z.object({
  model: z.string({ error: 'is required (a .safetensors file from nn-train --save)' }).min(1, 'must name a file'),
  split: z.enum(['test', 'train'], { error: 'must be test or train' }).default('test'),
});

/** How results are printed; not part of the experiment. */
export const OutputOptions = z.object({
  json: z.boolean().default(false), // NDJSON records on stdout instead of the table
  quiet: z.boolean().default(false), // no spinner, progress, chart or notices
  color: z.boolean().default(true), // false for --no-color
});

export const TrainFields = z
  .object({
    epochs: positiveInt().default(DEFAULTS.epochs),
    iters: positiveInt().optional(), // total SGD steps; overrides --epochs (the book: 10000)
    batchSize: positiveInt().default(DEFAULTS.batchSize),
    lr: positiveNumber().optional(), // unset: DEFAULT_LR of the optimizer
    optimizer: z.enum(OPTIMIZER_NAMES, { error: `must be one of ${OPTIMIZER_NAMES.join(', ')}` }).default(DEFAULTS.optimizer),
    momentum: fraction().default(DEFAULTS.momentum),
    beta1: fraction().default(DEFAULTS.beta1),
    beta2: fraction().default(DEFAULTS.beta2),
    save: z.string().min(1, 'must name a file').optional(), // write the trained model as .safetensors
    weightInitStd: positiveNumber().default(DEFAULTS.weightInitStd),
    seed: z.coerce
      .number({ error: 'must be an integer from 0 to 4294967295' })
      .refine((v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff, 'must be an integer from 0 to 4294967295')
      .default(DEFAULTS.seed),
    dtype: z.enum(['float32', 'float64'], { error: 'must be float32 or float64' }).default(DEFAULTS.dtype),
    backend: z.enum(BACKENDS, { error: `must be one of ${BACKENDS.join(', ')}` }).default(DEFAULTS.backend),
    threads: positiveInt().optional(),
    gradcheck: z.boolean().default(false), // check backprop against numerical gradients before training
    plot: z
      .string()
      .refine((v) => /\.svg$/i.test(v), 'must be a file name ending in .svg')
      .optional(),
  })
  .extend(NetworkOptions.shape)
  .extend(DataOptions.shape)
  .extend(OutputOptions.shape);

/** TrainFields with the learning rate resolved: --lr, else the optimizer's book default. */
export const TrainConfig = TrainFields.transform((c) => ({ ...c, lr: c.lr ?? DEFAULT_LR[c.optimizer] }));

export type TrainConfigValues = z.infer<typeof TrainConfig>;
export type DataOptionValues = z.infer<typeof DataOptions>;

export const GradcheckConfig = z
  .object({
    weightInitStd: positiveNumber().default(DEFAULTS.weightInitStd),
    seed: TrainFields.shape.seed,
    count: positiveInt().default(DEFAULTS.gradcheckCount),
    tolerance: positiveNumber().default(DEFAULTS.gradcheckTolerance),
  })
  .extend(NetworkOptions.shape)
  .extend(DataOptions.shape)
  .extend(OutputOptions.shape);

export type GradcheckConfigValues = z.infer<typeof GradcheckConfig>;

function isMirrorUrl(v: string): boolean {
  try {
    return ['http:', 'https:', 'file:'].includes(new URL(v).protocol);
  } catch {
    return false;
  }
}
