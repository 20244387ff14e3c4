import { Command } from 'commander';
import { createRequire } from 'node:module';
import { demoCommand } from './commands/demo.js';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

/**
 * The whole command tree. Each command lives in its own file and owns its zod schema;
 * this file only wires them together.
 */
export function buildProgram(): Command {
  const program = new Command('nn-train')
    .description('Train, check and understand the backprop network of Deep Learning from Scratch, chapter 5.')
    .version(version, '-V, --version')
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .exitOverride();
  program.addCommand(demoCommand());
  // Subcommands inherit exitOverride only if set on each; commander copies settings on
  // .command() but not on addCommand(), so apply it to the whole tree.
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}
