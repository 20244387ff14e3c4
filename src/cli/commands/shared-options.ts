import { type Command, Option } from 'commander';
import { DEFAULTS } from '../../defaults.js';

/** How --data-dir's default is chosen (src/data/data-dir.ts); shared with `download`. */
export const DATA_DIR_HELP =
  'folder holding the four IDX files (.gz or raw), made when a download needs it; default: <cache>/<dataset>, ' +
  '<cache> being $NN_TRAIN_DATA_DIR, else data/ in a source checkout, else $XDG_CACHE_HOME/nn-train or ' +
  '~/.cache/nn-train (macOS: ~/Library/Caches/nn-train, Windows: %LOCALAPPDATA%\\nn-train\\Cache)';

/** The flags of every command that reads a data set (validated by DataOptions in src/config.ts). */
export function addDataOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--dataset <name>', 'mnist, fashion-mnist or mnist-10k (bundled, offline)').default(DEFAULTS.dataset, DEFAULTS.dataset))
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .option('--mirror <url>', 'download from this http:, https: or file: URL instead of the built-in mirrors')
    .option('--offline', 'never touch the network')
    .option('--no-fallback', 'fail (exit 1) instead of falling back to the bundled mnist-10k when MNIST cannot be fetched');
}

/** --json, --quiet and --no-color (validated by OutputOptions in src/config.ts). */
export function addOutputOptions(cmd: Command, json: string): Command {
  return cmd
    .option('--json', json)
    // Scripts want the numbers without the show: results stay, decoration goes.
    .option('--quiet', 'results only: no spinner, progress bar, notices or terminal chart (tables, summary and confusion matrix still print; warnings and errors too)')
    .option('--no-color', 'no ANSI colours (also NO_COLOR=1, TERM=dumb, or any pipe)');
}

/** --model and --split of the commands that run a saved model (validated by ModelOptions in src/config.ts). */
export function addModelOptions(cmd: Command): Command {
  return cmd
    .option('--model <file>', 'the model, as written by nn-train --save')
    .addOption(new Option('--split <name>', 'test or train').default('test', 'test'));
}

/** Where the page server listens (validated by ServeOptions in src/config.ts). */
export function addServeOptions(cmd: Command): Command {
  return cmd
    .option('--port <n>', 'port to listen on (default: any free port; the URL is printed)')
    .option('--host <address>', 'address to listen on (default 127.0.0.1: this machine only)')
    .option('--open', "open the page in the system's browser");
}
