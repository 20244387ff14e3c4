/**
 * Ctrl-C (SIGINT) and SIGTERM, in two phases. While data loads there is nothing to show, so
 * the first signal ends the process at once. While training, the first one asks the trainer to
 * stop after its current step, so the rows so far are printed (and a --checkpoint written);
 * a second one ends the process at once.
 *
 * Exit codes are the shell's for death by the signal: 130 (128 + 2) for SIGINT, 143
 * (128 + 15) for SIGTERM, so a job runner can tell a stop it asked for from a Ctrl-C.
 */
export interface Interrupt {
  readonly signal: AbortSignal;
  /** The exit code of the signal that stopped the run (130 until one arrives). */
  readonly exitCode: number;
  /** From now on the first signal stops gracefully instead of exiting. */
  training(onStopping: (signal: StopSignal) => void): void;
  dispose(): void;
}

export type StopSignal = 'SIGINT' | 'SIGTERM';

export const EXIT_INTERRUPTED = 130;
const EXIT_CODES: Record<StopSignal, number> = { SIGINT: EXIT_INTERRUPTED, SIGTERM: 143 };

export function watchInterrupt(onExit: () => void): Interrupt {
  const controller = new AbortController();
  let onStopping: ((signal: StopSignal) => void) | undefined;
  let exitCode = EXIT_INTERRUPTED;
  const handler = (signal: StopSignal) => {
    if (onStopping === undefined || controller.signal.aborted) {
      onExit();
      process.exit(EXIT_CODES[signal]);
    }
    exitCode = EXIT_CODES[signal];
    controller.abort();
    onStopping(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    get exitCode() {
      return exitCode;
    },
    training(cb) {
      onStopping = cb;
    },
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
