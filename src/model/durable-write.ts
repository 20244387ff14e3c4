import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * Writes `bytes` to `file` so that a crash or a kill at any moment leaves either the old file
 * or the new one under the name, each whole: a temporary file in the same folder, flushed to
 * the disk (fsync), renamed over `file`, then the folder flushed so the rename itself lasts.
 * Synchronous, so no other code (a signal handler among it) runs halfway through. The
 * temporary file of a process killed halfway through is removed by the next write that succeeds.
 *
 * For tests only: NN_TRAIN_TEST_WRITE_PAUSE_MS=n pauses n ms halfway through writing the
 * temporary file, so a test can kill the process in the middle of a write.
 */
export function writeFileDurably(file: string, bytes: Uint8Array): void {
  const target = path.resolve(file);
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
  try {
    const fd = openSync(tmp, 'w');
    try {
      const half = bytes.length >> 1;
      writeAll(fd, bytes.subarray(0, half));
      pauseForTests();
      writeAll(fd, bytes.subarray(half));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  syncFolder(path.dirname(target));
  removeLeftovers(target);
}

/** The temporary files of earlier writes to `target` whose process is gone (killed halfway). */
function removeLeftovers(target: string): void {
  const dir = path.dirname(target);
  const prefix = `.${path.basename(target)}.`;
  for (const name of readdirSync(dir)) {
    const pid = name.startsWith(prefix) ? /^(\d+)\.tmp$/.exec(name.slice(prefix.length))?.[1] : undefined;
    if (pid !== undefined && !isRunning(Number(pid))) rmSync(path.join(dir, name), { force: true });
  }
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // it exists, under another user
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
}

/** Flushes a folder's entries (the rename); some systems cannot open a folder for that, which is no error. */
function syncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // not supported here (Windows, some network file systems): the rename still happened
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function pauseForTests(): void {
  const ms = Number(process.env.NN_TRAIN_TEST_WRITE_PAUSE_MS);
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
