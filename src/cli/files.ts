import { existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { RuntimeFailure, UsageError } from '../errors.js';

/**
 * Writes a file whole or not at all: to a temporary name in the same folder, then a rename
 * (atomic on one file system). A reader never sees half a plot, and a failure leaves no litter.
 */
export function writeFileAtomic(file: string, text: string): void {
  const target = resolve(file);
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new RuntimeFailure(`cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** At the door: a folder the user named must exist (a typo should not start a download). */
export function requireFolder(flag: string, dir: string | undefined): void {
  if (dir === undefined) return;
  if (!existsSync(dir)) throw new UsageError(`${flag}: no such folder: ${dir}`);
  if (!statSync(dir).isDirectory()) throw new UsageError(`${flag}: not a folder: ${dir}`);
}

/** At the door: an output file's folder must exist, so a long run does not fail at its end. */
export function requireParentFolder(flag: string, file: string | undefined): void {
  if (file === undefined) return;
  const dir = dirname(resolve(file));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${flag}: no such folder for ${file}: ${dir}`);
  if (existsSync(file) && statSync(file).isDirectory()) throw new UsageError(`${flag}: ${file} is a folder`);
}
