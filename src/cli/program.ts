import { Command } from 'commander';
import { createRequire } from 'node:module';
import { demoCommand } from './commands/demo.js';
import { downloadCommand } from './commands/download.js';
import { evalCommand } from './commands/eval.js';
import { filtersCommand } from './commands/filters.js';
import { gradcheckCommand } from './commands/gradcheck.js';
import { inspectGradientsCommand } from './commands/inspect-gradients.js';
import { predictCommand } from './commands/predict.js';
import { searchCommand } from './commands/search.js';
import { serveCommand } from './commands/serve.js';
import { trainCommand } from './commands/train.js';
import { stderrStream, writeOut } from './output.js';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

/**
 * The whole command tree. Each command lives in its own file and owns its zod schema;
 * this file only wires them together.
 */
export function buildProgram(): Command {
  const program = new Command('nn-train')
    .description('Train, check and understand the networks of Deep Learning from Scratch.')
    .version(version, '-V, --version')
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .exitOverride();
  // `train` is the default: `nn-train --hidden 50 --epochs 17` trains instead of printing help.
  const train = trainCommand();
  program.addCommand(train, { isDefault: true });
  program.addCommand(gradcheckCommand());
  program.addCommand(demoCommand());
  program.addCommand(downloadCommand());
  program.addCommand(inspectGradientsCommand());
  program.addCommand(evalCommand());
  program.addCommand(predictCommand());
  program.addCommand(searchCommand());
  program.addCommand(serveCommand());
  program.addCommand(filtersCommand());
  // Subcommands inherit exitOverride only if set on each; commander copies settings on
  // .command() but not on addCommand(), so apply it to the whole tree.
  // commander's output goes through output.ts: help into a closed pipe ends quietly.
  for (const cmd of [program, ...program.commands]) {
    cmd.exitOverride().configureOutput({
      writeOut,
      writeErr: (text) => stderrStream().write(text),
      outputError: (text, write) => write(oneLineError(text)),
    });
  }
  // The root help also lists the default command's flags: most people never type `train`.
  program.addHelpText('after', () => `\nTraining (the default command: nn-train [train] [options]):\n${trainHelpBody(train)}${EXAMPLES}`);
  return program;
}

const EXAMPLES = `
Examples:
  $ nn-train --hidden 50 --epochs 17                 # the book's experiment, as a table
  $ nn-train --iters 10000 --json | jq -c 'select(.type == "epoch")'
  $ nn-train --arch simple-convnet                   # the book's chapter 7 convnet
  $ nn-train gradcheck                               # backprop vs numerical gradients
  $ nn-train demo apple-orange                       # the shopping example's graph

Exit codes: 0 ok, 1 runtime failure (data, a failed check, a diverged run), 2 usage error,
130 Ctrl-C, 143 SIGTERM.`;

/**
 * commander's own errors (unknown option, missing argument) in our style: one line, prefixed
 * like every other error, the suggestion on the same line.
 * "error: unknown option '--hiden'\n(Did you mean --hidden?)" -> "nn-train: unknown option '--hiden' (did you mean --hidden?)"
 */
export function oneLineError(text: string): string {
  const [first, ...rest] = text.trim().split('\n');
  const hint = rest.join(' ').replace(/^\(Did you mean/, '(did you mean');
  return `${first.replace(/^error: /, 'nn-train: ')}${hint ? ` ${hint}` : ''}\n`;
}

/** `nn-train train --help` without its usage line and description. */
function trainHelpBody(train: Command): string {
  const text = train.helpInformation();
  const start = text.indexOf('Options:');
  return start >= 0 ? text.slice(start) : text;
}
