/**
 * stdout carries results only; everything else goes to stderr (DESIGN.md section 3).
 * A closed pipe (`nn-train --json | head -1`) is not an error worth a stack trace: we stop
 * writing and exit quietly.
 */
let stdoutClosed = false;
let jsonErrors = false;

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') {
    stdoutClosed = true;
    process.exit(process.exitCode ?? 0);
  }
  throw err;
});

export function writeOut(line: string): void {
  if (!stdoutClosed) process.stdout.write(line.endsWith('\n') ? line : `${line}\n`);
}

export function writeErr(line: string): void {
  process.stderr.write(line.endsWith('\n') ? line : `${line}\n`);
}

/** With --json, a failure is also an `error` record on stdout, so a parser sees why the stream ended. */
export function setJsonErrors(on: boolean): void {
  jsonErrors = on;
}

export function jsonErrorsEnabled(): boolean {
  return jsonErrors;
}
