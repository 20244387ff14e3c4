import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanCache } from '../support/mirror.js';
import { describeMnist, isCi, MNIST_DIR, MNIST_FILES, REPO_ROOT } from '../support/mnist.js';
import { startStaticServer } from '../support/static-server.js';
import { ndjson, type Run } from '../support/run-cli.js';

// nn-train as users install it: `npm pack` (what the registry would get), `npm install -g` of
// that tarball into a fresh prefix (dependencies from the npm registry, no devDependencies, no
// build), then the installed `nn-train` run from an unrelated folder by an ordinary user, who
// may not write to the package's folder: as root, the runs drop to `nobody` with setpriv.
// Its data cache must land in that user's cache folder, never in the package.

const PKG = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };

function succeeds(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** Who the runs are made as: the current user, or `nobody` through setpriv when that is root. */
interface RunAs {
  readonly prefix: string[]; // the command that runs the rest as that user
  readonly uid: number;
  readonly gid: number;
}

/** The user to run as, or why the test cannot run here. */
function ordinaryUser(): RunAs | string {
  if (process.platform === 'win32') return 'the install test drives a POSIX install (bin/ links, setpriv)';
  if (succeeds('npm', ['--version']) === undefined) return 'npm is not on the PATH';
  const uid = process.getuid!();
  if (uid !== 0) return { prefix: [], uid, gid: process.getgid!() };
  if (succeeds('setpriv', ['--version']) === undefined) return 'running as root, and setpriv (util-linux) is missing to run as an ordinary user';
  const nobody = succeeds('id', ['-u', 'nobody']);
  const group = succeeds('id', ['-g', 'nobody']);
  if (nobody === undefined || group === undefined) return 'running as root, and there is no user nobody to run as';
  return { prefix: ['setpriv', `--reuid=${nobody}`, `--regid=${group}`, '--clear-groups', '--'], uid: Number(nobody), gid: Number(group) };
}

/** The environment of the npm commands: the caller's, without what `npm test` sets for its scripts. */
function npmEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^(npm_|NN_TRAIN_|NODE_OPTIONS$|NODE_PATH$)/i.test(k)) delete env[k];
  return env;
}

function npm(args: string[], cwd: string): string {
  try {
    return execFileSync('npm', args, { cwd, env: npmEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`npm ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}

const user = ordinaryUser();

if (typeof user === 'string') {
  const why = `install test skipped: ${user}`;
  if (isCi()) {
    describe('nn-train installed from its tarball', () => {
      it('has what it needs to run', () => {
        throw new Error(`${why}; CI=true requires it`);
      });
    });
  } else {
    console.warn(why);
    describe.skip(`nn-train installed from its tarball (${why})`, () => undefined);
  }
} else {
  describe('nn-train installed from its tarball', () => installed(user));
}

function installed(as: RunAs): void {
  let tmp: string;
  let prefix: string; // npm's global prefix: bin/nn-train, lib/node_modules/nn-train
  let home: string; // the user's home folder, theirs to write
  let work: string; // an unrelated folder the commands run from
  let packed: { filename: string; files: Array<{ path: string }>; size: number; unpackedSize: number };

  beforeAll(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'nn-install-'));
    chmodSync(tmp, 0o755); // mkdtemp makes it 0700: the other user must reach the prefix inside
    // --ignore-scripts: packing runs `prepare` (the build), which the suite's global setup has
    // run already; building again here would rewrite dist/ under the other test files' runs.
    [packed] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], REPO_ROOT));
    prefix = path.join(tmp, 'prefix');
    home = path.join(tmp, 'home');
    work = path.join(tmp, 'work');
    for (const d of [home, work]) {
      mkdirSync(d);
      chownSync(d, as.uid, as.gid);
    }
    // From the unrelated folder, like a user with the tarball in hand. --prefer-offline: the
    // registry's metadata from npm's cache when it has it (the same exact versions).
    npm(['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', path.join(tmp, packed.filename)], work);
  }, 180_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const packageDir = () => path.join(prefix, 'lib', 'node_modules', PKG.name);

  /** The installed `nn-train`, found on the PATH, run as the ordinary user from `work`. */
  function nnTrain(args: string[], env: Record<string, string> = {}): Promise<Run> {
    const [cmd, ...rest] = [...as.prefix, 'nn-train', ...args];
    const child = spawn(cmd, rest, {
      cwd: work,
      // A login's environment, not the test runner's: no NN_TRAIN_*, XDG_*, npm_* or NODE_*.
      env: { PATH: [path.join(prefix, 'bin'), path.dirname(process.execPath), '/usr/bin', '/bin'].join(path.delimiter), HOME: home, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
  }

  it('the tarball holds the built CLI and no sources, tests, maps or caches', () => {
    const files = packed.files.map((f) => f.path).sort();
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'bin/nn-train.js', 'bin/package.json', 'dist/nn-train.js', 'dist/nn-train-worker.js', 'dist/kernels/nn-kernels.wasm', 'dist/index.js', 'dist/types/index.d.ts', 'dist/page/index.html']));
    const unexpected = files.filter((f) => !/^(package\.json|README\.md|LICENSE|bin\/[\w.-]+\.js(on)?|dist\/[\w/.-]+\.(js|d\.ts|wasm|html|css))$/.test(f));
    expect(unexpected).toEqual([]);
    // No src/: a package with src/ beside package.json counts as a checkout (src/data/data-dir.ts).
    expect(files.filter((f) => /^(src|test|scripts|data)\//.test(f) || /\.map$|\.meta\.json$|\.cache$/.test(f))).toEqual([]);
  });

  it('installs with its dependencies from the registry, without the build tools, and needs nothing from the checkout', () => {
    expect(lstatSync(packageDir()).isSymbolicLink()).toBe(false);
    expect(existsSync(path.join(packageDir(), 'src'))).toBe(false);
    const deps = readdirSync(path.join(packageDir(), 'node_modules'));
    expect(deps).toEqual(expect.arrayContaining(['commander', 'zod', 'mnist', 'chalk', 'ora', 'cli-table3']));
    expect(deps.filter((d) => /^(assemblyscript|esbuild|typescript|tsx|vite|vitest|@types)$/.test(d))).toEqual([]);
    // No installed file names the folder it was built in.
    const own = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.name === 'node_modules' ? [] : e.isDirectory() ? own(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    expect(own(packageDir()).filter((f) => readFileSync(f, 'latin1').includes(REPO_ROOT))).toEqual([]);
  });

  it('--version, from an unrelated folder as an ordinary user', async () => {
    const r = await nnTrain(['--version']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${PKG.version}\n`);
  });

  it('--iters 50 --offline trains on the bundled mnist-10k, having looked for MNIST in $XDG_CACHE_HOME/nn-train', async () => {
    const xdg = path.join(home, 'xdg-cache');
    const r = await nnTrain(['--iters', '50', '--offline', '--json'], { XDG_CACHE_HOME: xdg });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`warning: mnist is not in ${path.join(xdg, 'nn-train', 'mnist')} (missing `);
    const records = ndjson(r.stdout);
    expect(records.find((x) => x.type === 'config')?.dataset).toMatchObject({ name: 'mnist-10k', requested: 'mnist', source: 'bundled' });
    expect(records.find((x) => x.type === 'summary')).toMatchObject({ iterations: 50, interrupted: false });
    // An offline run makes no folders, and nothing is written into the package.
    expect(existsSync(xdg)).toBe(false);
    expect(existsSync(path.join(packageDir(), 'data'))).toBe(false);
  });

  it('gradcheck --offline passes on the bundled mnist-10k', async () => {
    const r = await nnTrain(['gradcheck', '--offline', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const records = ndjson(r.stdout);
    expect(records.filter((x) => x.type === 'gradcheck').map((x) => [x.param, x.ok])).toEqual([['W1', true], ['b1', true], ['W2', true], ['b2', true]]);
    expect(records.find((x) => x.type === 'summary')).toMatchObject({ ok: true, dataset: { name: 'mnist-10k' } });
  });

  describeMnist('with MNIST from a mirror on 127.0.0.1', () => {
    it('download puts it in ~/.cache/nn-train/mnist and says so; training then reads it from there', async () => {
      const server = await startStaticServer(MNIST_DIR);
      try {
        const cache = path.join(home, '.cache', 'nn-train', 'mnist');
        const d = await nnTrain(['download', '--mirror', server.url]);
        expect(d.code, d.stderr).toBe(0);
        expect(d.stdout.trimEnd().split('\n').at(-1)).toBe(`mnist in ${cache}`);
        expect(cleanCache(cache)).toEqual(Object.keys(MNIST_FILES).sort());
        expect(statSync(path.join(cache, 'train-images-idx3-ubyte.gz')).uid).toBe(as.uid);

        const r = await nnTrain(['--iters', '50', '--offline', '--json']);
        expect(r.code, r.stderr).toBe(0);
        expect(ndjson(r.stdout).find((x) => x.type === 'config')?.dataset).toMatchObject({ name: 'mnist', source: cache, trainCount: 60000 });
      } finally {
        await server.close();
      }
    });
  });
}
