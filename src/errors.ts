/**
 * Errors that carry the process exit code they deserve:
 * 2 for usage and config errors, 1 for runtime failures. Only src/cli turns them into an
 * exit; everything else just throws them, with a one-line message that names the problem.
 */
export class NnTrainError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A bad flag, config value or command: exit 2. */
export class UsageError extends NnTrainError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** Something failed while running (data, network, a model file, a failed check): exit 1. */
export class RuntimeFailure extends NnTrainError {
  constructor(message: string) {
    super(message, 1);
  }
}
