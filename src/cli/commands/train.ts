import { Command, Option } from 'commander';
import { DEFAULTS } from '../../defaults.js';
import { UsageError } from '../../errors.js';
import { BACKENDS } from '../../kernels/backends.js';
import { setJsonErrors } from '../output.js';
import { parseOptions } from '../parse-options.js';
import { nearest } from '../suggest.js';
import { addArchOptions, applyArchPreset, LAYERS_HELP, resolveLayers } from './arch-options.js';
import { addNetworkOptions, addOptimizerOptions, addRegularizationOptions, addStartOptions, addSubsetOptions } from './network-options.js';
import { addDataOptions, addOutputOptions, addServeOptions } from './shared-options.js';

/**
 * `nn-train [train]`, the default command: the book's train_neuralnet.py experiment. Flags are
 * declared here, validated by TrainConfig (src/config.ts) at the door; the schema and the run
 * (train-run.ts) are imported only when the action runs, so `--help` loads neither zod nor
 * the engine.
 */
export function trainCommand(): Command {
  const cmd = new Command('train')
    .description("train the book's network (784-50-10 with SGD; deeper with --hidden, convnets with --arch or --layers, other optimizers with --optimizer) (the default command)")
    .addOption(new Option('--epochs <n>', 'epochs (evaluations of the full train and test sets)').default(DEFAULTS.epochs))
    .addOption(new Option('--iters <n>', 'total SGD steps instead of --epochs (the book: 10000)'))
    .addOption(new Option('--batch-size <n>', 'images per SGD step').default(DEFAULTS.batchSize));
  addStartOptions(cmd, 'random seed (weights and batches); same seed, same numbers');
  cmd
    .addOption(new Option('--dtype <type>', 'float32 or float64').default(DEFAULTS.dtype, DEFAULTS.dtype))
    .addOption(new Option('--backend <name>', `kernels: ${BACKENDS.join(', ')} (auto: WebAssembly SIMD for float32)`).default(DEFAULTS.backend))
    .addOption(new Option('--threads <n>', 'threads for evaluation (default: all cores; same numbers with any count)'))
    .option('--gradcheck', 'check backprop against numerical gradients (float64) before training; exit 1 on failure')
    .option('--plot <file.svg>', 'also draw the accuracy and loss curves to an SVG file')
    .option('--save <file>', 'write the trained model to a .safetensors file')
    .addOption(new Option('--eval-samples <n>', 'per-epoch accuracies on the first n images of each set (default: all; convnet presets 1000); the final ones count all'))
    .option('--checkpoint <file>', 'save the whole training state to this file after every epoch and on Ctrl-C or SIGTERM')
    .option('--resume <file>', 'continue the run a --checkpoint file saved (and keep checkpointing to it); --epochs/--iters may be raised')
    .option('--serve', 'serve the page (nn-train serve) while training: curves as epochs end, then the trained model; Ctrl-C stops');
  addServeOptions(cmd);
  addNetworkOptions(cmd);
  addArchOptions(cmd);
  addOptimizerOptions(cmd);
  addRegularizationOptions(cmd);
  addSubsetOptions(cmd);
  addDataOptions(cmd);
  addOutputOptions(cmd, 'print NDJSON records (config, epoch, summary) instead of the table');
  return cmd
    .addHelpText(
      'after',
      `
One epoch is max(training images / batch size, 1) steps (600 for MNIST at batch 100); the
full train and test sets are scored after each epoch and after the last step.
${LAYERS_HELP}

Examples:
  $ nn-train --hidden 50 --epochs 17                  # the book's experiment
  $ nn-train --iters 10000 --json | jq -c 'select(.type == "epoch")'
  $ nn-train --dataset mnist-10k --epochs 5 --plot curves.svg
  $ nn-train --hidden 100,100 --checkpoint run.ckpt   # Ctrl-C, later:
  $ nn-train --resume run.ckpt                        # ends exactly as if never stopped
  $ nn-train --arch simple-convnet --epochs 1 --save convnet.safetensors
  $ nn-train --layers conv:16x3p1,relu,pool:2,affine:100,relu --optimizer adam --lr 0.001`,
    )
    // A stray word reaches the default command as an operand: answer as for an unknown command.
    .allowExcessArguments(true)
    .action(async (raw: Record<string, unknown>, self: Command) => {
      if (self.args.length > 0) unknownCommand(self.args[0], self.parent);
      setJsonErrors(raw.json === true); // a bad flag under --json is an error record too
      const { TrainConfig } = await import('../../config.js');
      const config = parseOptions(TrainConfig, applyArchPreset(raw, self));
      config.layers = resolveLayers(config, self);
      const serve = await serveOptions(raw);
      // The flags typed on the command line (not defaults): a resumed run checks them against its checkpoint.
      const given = Object.keys(raw).filter((key) => self.getOptionValueSource(key) === 'cli');
      const { runTrain } = await import('./train-run.js');
      await runTrain(config, given, serve);
    });
}

function unknownCommand(word: string, program: Command | null): never {
  const names = program ? program.commands.flatMap((c) => [c.name(), ...c.aliases()]) : [];
  const guess = nearest(word, names);
  throw new UsageError(`unknown command '${word}'${guess ? ` (did you mean ${guess}?)` : ''}; see nn-train --help`);
}

/** --serve's own flags, checked at the door; undefined without --serve (where they are errors). */
async function serveOptions(raw: Record<string, unknown>) {
  if (raw.serve !== true) {
    const stray = ['port', 'host', 'open'].find((k) => raw[k] !== undefined);
    if (stray !== undefined) throw new UsageError(`--${stray} needs --serve`);
    return undefined;
  }
  const { ServeOptions } = await import('../../config.js');
  return parseOptions(ServeOptions, raw);
}
