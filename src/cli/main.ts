import { CommanderError } from 'commander';
import { NnTrainError } from '../errors.js';
import { exitIfWritten, jsonErrorsEnabled, writeErr, writeOut } from './output.js';
import { buildProgram, oneLineError } from './program.js';

/**
 * The entry point: parse, run, and turn every failure into one line on stderr and an exit
 * code (0 ok, 1 runtime failure, 2 usage error). The only module that ends the process.
 */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return reportError(err, argv);
  }
}

export function reportError(err: unknown, argv: string[] = []): number {
  if (err instanceof CommanderError) {
    // commander has already printed its message (and a suggestion) to stderr.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    if (err.exitCode === 0) return 0;
    // The flags were not parsed, so look for --json by hand: a pipeline still gets its record.
    const flags = argv.indexOf('--') < 0 ? argv : argv.slice(0, argv.indexOf('--'));
    if (flags.includes('--json')) {
      writeOut(JSON.stringify({ type: 'error', message: oneLineError(err.message).replace(/^nn-train: /, '').trim(), exitCode: 2 }));
    }
    return 2;
  }
  if (err instanceof NnTrainError) {
    writeErr(`nn-train: ${err.message}`);
    if (jsonErrorsEnabled()) writeOut(JSON.stringify({ type: 'error', message: err.message, exitCode: err.exitCode }));
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  writeErr(`nn-train: internal error: ${message}`);
  if (jsonErrorsEnabled()) writeOut(JSON.stringify({ type: 'error', message: `internal error: ${message}`, exitCode: 1 }));
  if (process.env.NN_TRAIN_DEBUG && err instanceof Error && err.stack) writeErr(err.stack);
  return 1;
}

process.exitCode = await main(process.argv);
if (process.exitCode === 0) exitIfWritten(0);
