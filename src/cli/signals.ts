/**
 * Ctrl-C, in two phases. While data loads there is nothing to show, so the first Ctrl-C ends
 * the process at once (exit 130). While training, the first Ctrl-C asks the trainer to stop
 * after its current step, so the rows so far are printed and the exit code is 130; a second
 * Ctrl-C ends the process at once.
 */
export interface Interrupt {
  readonly signal: AbortSignal;
  /** From now on the first Ctrl-C stops gracefully instead of exiting. */
  training(onStopping: () => void): void;
  dispose(): void;
}

export const EXIT_INTERRUPTED = 130;

export function watchInterrupt(onExit: () => void): Interrupt {
  const controller = new AbortController();
  let onStopping: (() => void) | undefined;
  const handler = () => {
    if (onStopping === undefined || controller.signal.aborted) {
      onExit();
      process.exit(EXIT_INTERRUPTED);
    }
    controller.abort();
    onStopping();
  };
  process.on('SIGINT', handler);
  return {
    signal: controller.signal,
    training(cb) {
      onStopping = cb;
    },
    dispose() {
      process.off('SIGINT', handler);
    },
  };
}
