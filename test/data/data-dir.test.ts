import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataRoot, hostContext, isCheckout, userCacheDir, type DataRootContext } from '../../src/data/data-dir.js';
import { RuntimeFailure } from '../../src/errors.js';
import { REPO_ROOT } from '../support/mnist.js';
import { scratchDirs } from '../support/mirror.js';

// Where data sets are cached when no --data-dir is given. test/install/install.test.ts checks
// the same from a real install, as a user who may not write to the package's folder.

const scratch = scratchDirs('nn-data-dir-');

/** A package folder as npm installs it: package.json and the built files, no sources. */
function installedPackage(): string {
  const root = scratch();
  writeFileSync(path.join(root, 'package.json'), '{"name":"nn-train"}');
  mkdirSync(path.join(root, 'dist', 'data'), { recursive: true });
  return root;
}

const linux = (env: NodeJS.ProcessEnv = {}, packageRoot = installedPackage()): DataRootContext => ({ env, platform: 'linux', home: '/home/ada', packageRoot });

describe('the cache root', () => {
  it('is NN_TRAIN_DATA_DIR when set, in a checkout or not (a relative one from the current folder)', () => {
    expect(dataRoot(linux({ NN_TRAIN_DATA_DIR: '/srv/nn', XDG_CACHE_HOME: '/x' }))).toBe('/srv/nn');
    expect(dataRoot(linux({ NN_TRAIN_DATA_DIR: '/srv/nn' }, REPO_ROOT))).toBe('/srv/nn');
    expect(dataRoot(linux({ NN_TRAIN_DATA_DIR: 'rel/cache' }))).toBe(path.resolve('rel/cache'));
  });

  it("is the checkout's data/ when running from the sources", () => {
    expect(isCheckout(REPO_ROOT)).toBe(true);
    expect(dataRoot(linux({ XDG_CACHE_HOME: '/x' }, REPO_ROOT))).toBe(path.join(REPO_ROOT, 'data'));
    // The tests' own process: this checkout.
    expect(dataRoot(hostContext())).toBe(process.env.NN_TRAIN_DATA_DIR ? path.resolve(process.env.NN_TRAIN_DATA_DIR) : path.join(REPO_ROOT, 'data'));
  });

  it("is the user's cache folder when running from an installed package (no src/ beside package.json)", () => {
    const pkg = installedPackage();
    expect(isCheckout(pkg)).toBe(false);
    expect(dataRoot(linux({}, pkg))).toBe('/home/ada/.cache/nn-train');
    expect(dataRoot(linux({ XDG_CACHE_HOME: '/var/cache/ada' }, pkg))).toBe('/var/cache/ada/nn-train');
  });
});

describe("the user's cache folder", () => {
  const ctx = (platform: NodeJS.Platform, env: NodeJS.ProcessEnv, home: string): DataRootContext => ({ env, platform, home, packageRoot: '/unused' });

  it('Linux and other Unix: $XDG_CACHE_HOME/nn-train, else ~/.cache/nn-train', () => {
    expect(userCacheDir(ctx('linux', {}, '/home/ada'))).toBe('/home/ada/.cache/nn-train');
    expect(userCacheDir(ctx('freebsd', {}, '/home/ada'))).toBe('/home/ada/.cache/nn-train');
    expect(userCacheDir(ctx('linux', { XDG_CACHE_HOME: '/tmp/c' }, '/home/ada'))).toBe('/tmp/c/nn-train');
    // The XDG spec: an empty or relative value is ignored.
    expect(userCacheDir(ctx('linux', { XDG_CACHE_HOME: '' }, '/home/ada'))).toBe('/home/ada/.cache/nn-train');
    expect(userCacheDir(ctx('linux', { XDG_CACHE_HOME: 'cache' }, '/home/ada'))).toBe('/home/ada/.cache/nn-train');
  });

  it('macOS: ~/Library/Caches/nn-train (or $XDG_CACHE_HOME/nn-train when set)', () => {
    expect(userCacheDir(ctx('darwin', {}, '/Users/ada'))).toBe('/Users/ada/Library/Caches/nn-train');
    expect(userCacheDir(ctx('darwin', { XDG_CACHE_HOME: '/Users/ada/.cache' }, '/Users/ada'))).toBe('/Users/ada/.cache/nn-train');
  });

  it('Windows: %LOCALAPPDATA%\\nn-train\\Cache, else under the home folder', () => {
    expect(userCacheDir(ctx('win32', { LOCALAPPDATA: 'C:\\Users\\ada\\AppData\\Local' }, 'C:\\Users\\ada'))).toBe('C:\\Users\\ada\\AppData\\Local\\nn-train\\Cache');
    expect(userCacheDir(ctx('win32', {}, 'C:\\Users\\ada'))).toBe('C:\\Users\\ada\\AppData\\Local\\nn-train\\Cache');
  });

  it('no home folder: an error that says what to set, not a cache in the current folder', () => {
    expect(() => userCacheDir(ctx('linux', {}, ''))).toThrow(RuntimeFailure);
    expect(() => userCacheDir(ctx('linux', {}, ''))).toThrow('no home folder to cache data sets in: set NN_TRAIN_DATA_DIR or pass --data-dir');
    expect(userCacheDir(ctx('linux', { XDG_CACHE_HOME: '/tmp/c' }, ''))).toBe('/tmp/c/nn-train');
  });
});
