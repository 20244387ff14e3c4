/**
 * stdout carries results only; everything else goes to stderr, so a pipe gets clean results.
 * A closed pipe (`nn-train --json | head -1`) is not an error worth a stack trace: we stop
 * writing and exit quietly, unless the run still has files to write (see
 * finishIfStdoutCloses), which it then finishes without its stdout lines.
 *
 * The program reaches process.stdout only through this module (commander's help and version
 * text too), so every write meets that watch.
 */
let stdoutClosed = false;
let finishWhenClosed = false;
let jsonErrors = false;
let stdout: NodeJS.WriteStream | undefined;
let stderr: NodeJS.WriteStream | undefined;

/** process.stdout, watched for a reader that has gone. */
export function stdoutStream(): NodeJS.WriteStream {
  if (stdout === undefined) {
    stdout = process.stdout;
    stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') {
        stdoutClosed = true;
        if (!finishWhenClosed) process.exit(process.exitCode ?? 0);
        return;
      }
      throw err;
    });
  }
  return stdout;
}

export function stderrStream(): NodeJS.WriteStream {
  return (stderr ??= process.stderr);
}

/**
 * A run asked for files (--save, --plot) goes on to write them when stdout closes under it
 * (`nn-train --save m.safetensors | head -3`): the reader wanted a few lines, not to lose the
 * model. Without such files a closed stdout ends the run at once.
 */
export function finishIfStdoutCloses(on: boolean): void {
  finishWhenClosed = on;
}

export function writeOut(line: string): void {
  if (!stdoutClosed) stdoutStream().write(line.endsWith('\n') ? line : `${line}\n`);
}

export function writeErr(line: string): void {
  stderrStream().write(line.endsWith('\n') ? line : `${line}\n`);
}

/**
 * Ends the process now if all output has been handed to the OS. Left to itself, Node first
 * tears down its heap and environment, which the user would wait for after the last line
 * for nothing (what is left is Node stopping the worker threads, its own exit, and the
 * kernel freeing the process's memory). Writes to files and terminals are
 * synchronous, and to pipes as long as the pipe has room: a write still queued (a reader that
 * is behind) counts in writableLength, and then Node's own exit, which waits for it, is kept.
 * A stream never made has nothing queued. Called after a successful run only: a failed one
 * may leave work in flight (another file's download) that Node's exit waits for.
 */
export function exitIfWritten(code: number): void {
  if ((stdout?.writableLength ?? 0) === 0 && (stderr?.writableLength ?? 0) === 0) process.exit(code);
}

/** With --json, a failure is also an `error` record on stdout, so a parser sees why the stream ended. */
export function setJsonErrors(on: boolean): void {
  jsonErrors = on;
}

export function jsonErrorsEnabled(): boolean {
  return jsonErrors;
}
