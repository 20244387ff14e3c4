import { fstatSync, writeSync } from 'node:fs';

/**
 * stdout carries results only; everything else goes to stderr, so a pipe gets clean results.
 * A closed pipe (`nn-train --json | head -1`) is not an error worth a stack trace: we stop
 * writing and exit quietly, unless the run still has files to write (see
 * finishIfStdoutCloses), which it then finishes without its stdout lines.
 *
 * The program reaches process.stdout and process.stderr only through this module. Node makes
 * each on first use, and for a pipe or a terminal that loads its net and stream modules, a
 * noticeable part of a short command's start: `nn-train --help` into a pipe makes neither
 * (see writeText).
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
 * Help and version text (commander's output). Into a pipe, socket or file, and while nothing
 * has made the stream, it goes straight to file descriptor 1, which a pipe from a shell or
 * from Node's child_process leaves blocking. A terminal (the help is wrapped to its width) or
 * any other device gets the stream; so does the rest of the text if the descriptor turns out
 * to be non-blocking and full. A reader that has gone (EPIPE) is treated as the stream's
 * handler would: the text is dropped, quietly.
 */
export function writeText(text: string): void {
  if (stdoutClosed) return;
  if (stdout !== undefined || !stdoutIsPipeOrFile()) {
    stdoutStream().write(text);
    return;
  }
  const bytes = Buffer.from(text);
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(1, bytes, done);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EAGAIN') stdoutStream().write(bytes.subarray(done));
    else if (code === 'EPIPE') stdoutClosed = true;
    else throw err;
  }
}

/** The terminal's width if stdout is one (help text is wrapped to it), else undefined. */
export function stdoutColumns(): number | undefined {
  if (stdout === undefined && stdoutIsPipeOrFile()) return undefined;
  const s = stdoutStream();
  return s.isTTY ? s.columns : undefined;
}

function stdoutIsPipeOrFile(): boolean {
  try {
    const st = fstatSync(1);
    return st.isFIFO() || st.isSocket() || st.isFile();
  } catch {
    return false; // no descriptor 1: the stream handles that (Node gives it one that drops the text)
  }
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
