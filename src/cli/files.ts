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

/**
 * At the door, --data-dir by one rule for every command that reads or downloads a data set: a
 * folder that does not exist yet is made when nn-train downloads into it (the data module
 * makes it then); when nothing would be downloaded into it (--offline, or the bundled
 * mnist-10k), a missing folder can only be a typo, reported before any work. That is a usage
 * error, exit 2, as for --plot or --save into a missing folder: the command line names
 * something that is not there. Exit 1 stays for what goes wrong while running (the network,
 * a checksum, a folder nn-train may not write to).
 */
export function requireDataFolder(opts: { dataDir?: string; dataset: string; offline?: boolean }): void {
  const dir = opts.dataDir;
  if (dir === undefined) return;
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new UsageError(`--data-dir: not a folder: ${dir}`);
    return;
  }
  const why = opts.dataset === 'mnist-10k' ? 'mnist-10k is bundled: nothing is downloaded' : opts.offline ? '--offline: nothing is downloaded' : undefined;
  if (why) throw new UsageError(`--data-dir: no such folder: ${dir} (${why})`);
}

/** At the door: an output file's folder must exist, so a long run does not fail at its end. */
export function requireParentFolder(flag: string, file: string | undefined): void {
  if (file === undefined) return;
  const dir = dirname(resolve(file));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${flag}: no such folder for ${file}: ${dir}`);
  if (existsSync(file) && statSync(file).isDirectory()) throw new UsageError(`${flag}: ${file} is a folder`);
}
