import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuntimeFailure } from '../errors.js';

/**
 * Where downloaded data sets are cached when no folder is named: <root>/<dataset>, each data
 * set in its own folder (mnist and fashion-mnist have files of the same names). The root is
 *
 *   1. NN_TRAIN_DATA_DIR, if set;
 *   2. data/ in a source checkout, beside the sources, as a developer expects;
 *   3. otherwise the user's cache folder: an installed package's own folder is often not
 *      writable by its user (npm install -g as root), and under npx it sits in npm's cache,
 *      where 55 MB of MNIST would be hidden and thrown away with it.
 */

/** What the answer depends on, passed in so tests can ask about any platform. */
export interface DataRootContext {
  readonly env: NodeJS.ProcessEnv;
  readonly platform: NodeJS.Platform;
  readonly home: string;
  /** The folder holding nn-train's package.json. */
  readonly packageRoot: string;
}

/** src/data or dist/data -> the folder holding package.json. */
const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function hostContext(): DataRootContext {
  return { env: process.env, platform: process.platform, home: homedir(), packageRoot: PACKAGE_ROOT };
}

/**
 * A checkout has the TypeScript sources, src/, beside package.json; the published package
 * never does (package.json's "files" ships the built dist/ only). src/ rather than .git:
 * a source archive without git history is a checkout too, and `npm link` or
 * `npm install -g <folder>` runs the checkout itself, whose data/ is then the right place.
 */
export function isCheckout(packageRoot: string): boolean {
  return existsSync(path.join(packageRoot, 'src'));
}

/**
 * The per-user cache folder for nn-train: $XDG_CACHE_HOME/nn-train when XDG_CACHE_HOME is
 * an absolute path (the XDG spec says to ignore a relative one), else ~/.cache/nn-train,
 * ~/Library/Caches/nn-train on macOS, %LOCALAPPDATA%\nn-train\Cache on Windows.
 */
export function userCacheDir(ctx: DataRootContext): string {
  const { env, platform, home } = ctx;
  const p = platform === 'win32' ? path.win32 : path.posix;
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && p.isAbsolute(xdg)) return p.join(xdg, 'nn-train');
  if (platform === 'win32') {
    const local = env.LOCALAPPDATA && p.isAbsolute(env.LOCALAPPDATA) ? env.LOCALAPPDATA : home && p.join(home, 'AppData', 'Local');
    if (local) return p.join(local, 'nn-train', 'Cache');
  } else if (home) {
    return platform === 'darwin' ? p.join(home, 'Library', 'Caches', 'nn-train') : p.join(home, '.cache', 'nn-train');
  }
  // Without a home folder the cache would land wherever the command was run from.
  throw new RuntimeFailure('no home folder to cache data sets in: set NN_TRAIN_DATA_DIR or pass --data-dir');
}

/** The cache root, chosen as the comment at the top of this file says. */
export function dataRoot(ctx: DataRootContext = hostContext()): string {
  if (ctx.env.NN_TRAIN_DATA_DIR) return path.resolve(ctx.env.NN_TRAIN_DATA_DIR);
  if (isCheckout(ctx.packageRoot)) return path.join(ctx.packageRoot, 'data');
  return userCacheDir(ctx);
}
