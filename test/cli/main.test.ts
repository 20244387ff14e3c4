import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeMnist, MNIST_DIR, REPO_ROOT } from '../support/mnist.js';
import { ANSI, BIN, cliEnv, collect, ndjson, run, start } from '../support/run-cli.js';

// The real CLI as a child process (test/support/build.ts builds dist/ first). Most runs use the bundled
// mnist-10k (8,000 + 2,000 real MNIST digits, offline) to stay short; the real 60,000 + 10,000
// set is used where the test needs the whole of it.

const SMALL = ['--dataset', 'mnist-10k', '--offline'];
const tmp = mkdtempSync(path.join(tmpdir(), 'nn-train-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Drops the fields that measure time, which differ between any two runs. */
function withoutTimes(records: Array<Record<string, any>>): Array<Record<string, any>> {
  return records.map((r) => {
    const { seconds, elapsedSeconds, imagesPerSecond, ...rest } = r;
    return rest;
  });
}

// Each case is a separate short process; running them concurrently keeps the file quick.
describe.concurrent('usage errors: exit 2 and one line naming the flag', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--batch-size', '0'], /^nn-train: --batch-size must be a positive integer, got 0$/],
    [['--lr', '-1'], /^nn-train: --lr must be > 0, got -1$/],
    [['--lr', 'fast'], /^nn-train: --lr must be a number > 0, got fast$/],
    [['--epochs', '2.5'], /^nn-train: --epochs must be a positive integer, got 2.5$/],
    [['--iters', '-5'], /^nn-train: --iters must be a positive integer, got -5$/],
    [['--hidden', '0'], /^nn-train: --hidden /],
    [['--weight-init-std', 'x'], /^nn-train: --weight-init-std must be a number > 0, got x$/],
    [['--seed', '1e20'], /^nn-train: --seed must be an integer from 0 to 4294967295, got 1e20$/],
    [['--dtype', 'float16'], /^nn-train: --dtype must be float32 or float64, got float16$/],
    [['--dataset', 'cifar10'], /^nn-train: --dataset must be one of mnist, fashion-mnist, mnist-10k, got cifar10$/],
    [['--mirror', 'ftp://example.org/'], /^nn-train: --mirror must be an http:, https: or file: URL, got ftp:\/\/example.org\/$/],
    [['--plot', 'curves.png'], /^nn-train: --plot must be a file name ending in .svg, got curves.png$/],
    [['--plot', '/no/such/folder/curves.svg', ...SMALL], /^nn-train: --plot: no such folder for \/no\/such\/folder\/curves.svg/],
    [['--data-dir', '/no/such/folder', '--offline'], /^nn-train: --data-dir: no such folder: \/no\/such\/folder \(--offline: nothing is downloaded\)$/],
    [['--hiden', '50'], /^nn-train: unknown option '--hiden' \(did you mean --hidden\?\)$/],
    [['demo'], /^nn-train: missing required argument 'name'$/],
    [['--epochs'], /^nn-train: option '--epochs <n>' argument missing$/],
    [['gradchek'], /^nn-train: unknown command 'gradchek' \(did you mean gradcheck\?\)/],
    [['gradcheck', '--count', '0'], /^nn-train: --count must be a positive integer, got 0$/],
    [['gradcheck', '--tolerance', '-1'], /^nn-train: --tolerance must be > 0, got -1$/],
    [['gradcheck', '--data-dir', '/no/such/folder', '--offline'], /^nn-train: --data-dir: no such folder: \/no\/such\/folder \(--offline: nothing is downloaded\)$/],
  ];
  it.each(cases)('%j', async (args, message) => {
    const r = await run(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim()).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('with --json the error is also an error record on stdout', async () => {
    const r = await run(['--json', '--batch-size', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('nn-train: --batch-size must be a positive integer, got 0\n');
    expect(ndjson(r.stdout)).toEqual([{ type: 'error', message: '--batch-size must be a positive integer, got 0', exitCode: 2 }]);
    const unknown = await run(['--json', '--hiden', '3']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("nn-train: unknown option '--hiden' (did you mean --hidden?)\n");
    expect(ndjson(unknown.stdout)).toEqual([{ type: 'error', message: "unknown option '--hiden' (did you mean --hidden?)", exitCode: 2 }]);
    const late = await run(['--json', '--data-dir', '/no/such/folder', '--offline']);
    expect(late.code).toBe(2);
    expect(ndjson(late.stdout)).toEqual([{ type: 'error', message: '--data-dir: no such folder: /no/such/folder (--offline: nothing is downloaded)', exitCode: 2 }]);
  });
});

describe('help and version', () => {
  it('--help shows the training flags with their defaults, and examples', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    // The book's defaults, each on its flag's line.
    const flat = r.stdout.replace(/\n {20,}/g, ' ');
    expect(flat).toMatch(/--hidden <\w+> .*\(default: 50\)/);
    expect(flat).toMatch(/--epochs <n> .*\(default: 17\)/);
    expect(flat).toMatch(/--batch-size <n> .*\(default: 100\)/);
    expect(flat).toMatch(/--lr <x> .*\(default: 0\.1\b/);
    expect(flat).toMatch(/--weight-init-std <x> .*\(default: 0\.01\)/);
    for (const s of ['gradcheck', 'Examples:', 'Exit codes:']) expect(r.stdout).toContain(s);
    const train = await run(['train', '--help']);
    expect(train.stdout).toContain('$ nn-train --hidden 50 --epochs 17');
  });
  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    const r = await run(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });
});

describe('training on the bundled mnist-10k', () => {
  it('--json is NDJSON only, without ANSI even when colour is forced; same seed, same numbers', async () => {
    const args = ['--epochs', '2', '--json', ...SMALL];
    const [a, b, c] = await Promise.all([run(args, { FORCE_COLOR: '1' }), run(args), run([...args, '--seed', '7'])]);
    for (const r of [a, b, c]) expect(r.code).toBe(0);
    expect(a.stdout).not.toMatch(ANSI);
    const recs = ndjson(a.stdout);
    expect(recs.map((r) => r.type).filter((t) => t !== 'confusion')).toEqual(['config', 'epoch', 'epoch', 'summary']);
    const config = recs[0];
    expect(config).toMatchObject({ seed: 42, config: { epochs: 2, batchSize: 100, lr: 0.1, iterations: 160, iterPerEpoch: 80 } });
    expect(config.dataset).toMatchObject({ name: 'mnist-10k', source: 'bundled', trainCount: 8000, testCount: 2000, classes: 10 });
    const ep = recs[1];
    expect(Object.keys(ep)).toEqual(expect.arrayContaining(['epoch', 'iteration', 'loss', 'trainAcc', 'testAcc', 'seconds']));
    expect(ep).toMatchObject({ epoch: 1, iteration: 80 });
    expect(withoutTimes(ndjson(b.stdout))).toEqual(withoutTimes(recs));
    expect(withoutTimes(ndjson(c.stdout))).not.toEqual(withoutTimes(recs));
  });

  it('prints the epoch table, a summary and a chart; --plot writes a whole SVG and no temp file', async () => {
    const dir = mkdtempSync(path.join(tmp, 'plot-'));
    const file = path.join(dir, 'curves.svg');
    const r = await run(['--epochs', '3', '--plot', file, ...SMALL]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(ANSI); // a pipe: no colour
    expect(r.stdout).toMatch(/│ epoch │ iteration │ +loss │ train acc │ test acc │ seconds │/);
    expect(r.stdout).toMatch(/│ +3 │ +240 │/);
    expect(r.stdout).toMatch(/Final: train acc 0\.\d{4}, test acc 0\.\d{4}/);
    expect(r.stdout).toMatch(/test acc +[▁▂▃▄▅▆▇█]{3} /);
    expect(r.stderr).toContain(`Wrote ${file}`);
    const svg = readFileSync(file, 'utf8');
    expect(svg).toMatch(/^<\?xml[^]*<svg [^]*test accuracy[^]*<\/svg>\n$/);
    expect(readdirSync(dir)).toEqual(['curves.svg']);
  });

  it('--quiet keeps every result (headline, table, summary, confusion matrix) and drops the rest', async () => {
    const dir = mkdtempSync(path.join(tmp, 'quiet-'));
    const plot = path.join(dir, 'q.svg');
    const args = ['--iters', '160', '--plot', plot, ...SMALL];
    const [loud, quiet] = await Promise.all([run(args), run([...args, '--quiet'])]);
    expect(loud.code).toBe(0);
    expect(quiet.code).toBe(0);
    expect(loud.stderr).toMatch(/Loaded mnist-10k[^]*Wrote /);
    expect(quiet.stderr).toBe(''); // no spinner, progress or notices (warnings and errors would still show)
    expect(existsSync(plot)).toBe(true);
    expect(loud.stdout).toMatch(/[▁▂▃▄▅▆▇]/); // the terminal chart: decoration, not a result
    expect(quiet.stdout).not.toMatch(/[▁▂▃▄▅▆▇]/);
    for (const result of [/^Training 784-50-10 .*seed 42/m, /│ +2 │ +160 │/, /^Final: /m, /^Confusion matrix, test set: /m]) {
      expect(loud.stdout).toMatch(result);
      expect(quiet.stdout).toMatch(result);
    }
  });

  it('Ctrl-C stops at the next step, prints the rows so far and exits 130', async () => {
    for (const json of [false, true]) {
      const child = start(['--epochs', '100000', ...(json ? ['--json'] : []), ...SMALL]);
      const done = collect(child);
      let seen = '';
      await new Promise<void>((resolve) => {
        child.stdout!.on('data', (d) => {
          seen += d;
          if ((seen.match(json ? /"type":"epoch"/g : /│ +\d+ │/g) ?? []).length >= 2) resolve();
        });
      });
      child.kill('SIGINT');
      const r = await done;
      expect(r.code).toBe(130);
      if (json) {
        const recs = ndjson(r.stdout);
        const summary = recs.find((x) => x.type === 'summary')!;
        expect(summary.interrupted).toBe(true);
        expect(recs.filter((x) => x.type === 'epoch').length).toBe(summary.epochs);
      } else {
        expect(r.stdout).toMatch(/└─+┴/);
        expect(r.stdout).toMatch(/Stopped by Ctrl-C after [\d,]+ of 8,000,000 iterations/);
        expect(r.stderr).toContain('Stopping after this step');
      }
    }
  });

  it('--gradcheck checks the configured net before training; a failed check is exit 1', async () => {
    const ok = await run(['--gradcheck', '--hidden', '10', '--iters', '10', '--json', ...SMALL]);
    expect(ok.code).toBe(0);
    const recs = ndjson(ok.stdout);
    expect(recs.filter((r) => r.type === 'gradcheck').map((r) => [r.param, r.ok])).toEqual([
      ['W1', true],
      ['b1', true],
      ['W2', true],
      ['b2', true],
    ]);
    expect(recs.some((r) => r.type === 'epoch')).toBe(true);
  });
});

describe('a pseudo-terminal (script from util-linux)', () => {
  function inPty(shell: string): Promise<{ code: number | null; out: string }> {
    const child = spawn('script', ['-qec', shell, '/dev/null'], { cwd: REPO_ROOT, env: cliEnv({ TERM: 'xterm-256color' }), stdio: ['ignore', 'pipe', 'pipe'] });
    return collect(child).then((r) => ({ code: r.code, out: r.stdout + r.stderr }));
  }

  it('renders the spinner and progress bar, and finishes cleanly', async () => {
    const r = await inPty(`stty cols 100; node ${BIN} --epochs 2 ${SMALL.join(' ')}`);
    expect(r.code).toBe(0);
    expect(r.out).toContain('\x1b[?25l'); // ora hid the cursor...
    expect(r.out).toContain('\x1b[?25h'); // ...and showed it again
    expect(r.out).toMatch(/✔.*Loaded mnist-10k/);
    expect(r.out).toMatch(/\repoch 1\/2 .*\d+\/80/); // the progress bar, redrawn in place
    expect(r.out).toMatch(/\x1b\[1mtest acc/); // colour at a terminal
    expect(r.out).toMatch(/Final:/);
  });

  it('does not hang on a terminal that reports 0 columns, and draws nothing live there', async () => {
    const started = Date.now();
    const r = await inPty(`stty cols 0; node ${BIN} --epochs 2 ${SMALL.join(' ')}`);
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.out).not.toContain('\x1b[?25l');
    expect(r.out).not.toContain('ETA');
    expect(r.out).toMatch(/Final:/);
  });
});

describeMnist('real MNIST', () => {
  const DATA = ['--data-dir', MNIST_DIR, '--offline'];

  it('a short run (--iters 200) finishes in seconds and learns', async () => {
    const started = Date.now();
    const r = await run(['--iters', '200', '--json', ...DATA]);
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(45_000);
    const recs = ndjson(r.stdout);
    expect(recs[0].dataset).toMatchObject({ name: 'mnist', trainCount: 60000, testCount: 10000 });
    expect(recs[0].config).toMatchObject({ iterations: 200, iterPerEpoch: 600 });
    const epochs = recs.filter((x) => x.type === 'epoch');
    expect(epochs).toHaveLength(1);
    expect(epochs[0].iteration).toBe(200);
    expect(epochs[0].testAcc).toBeGreaterThan(0.8);
  });

  it('`--json | head -1` exits quietly', async () => {
    const child = spawn('bash', ['-c', `node ${BIN} --iters 1200 --json ${DATA.join(' ')} | head -1; echo "status=\${PIPESTATUS[0]}" >&2`], {
      cwd: REPO_ROOT,
      env: cliEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const r = await collect(child);
    expect(ndjson(r.stdout).map((x) => x.type)).toEqual(['config']);
    expect(r.stderr).toMatch(/status=0\n$/);
    expect(r.stderr).not.toMatch(/EPIPE|Error|at /);
  });

  it("gradcheck: the book's check on the first 3 training images passes, b2 at ~1e-7", async () => {
    const r = await run(['gradcheck', '--json', ...DATA]);
    expect(r.code).toBe(0);
    const recs = ndjson(r.stdout);
    const by = Object.fromEntries(recs.filter((x) => x.type === 'gradcheck').map((x) => [x.param, x]));
    expect(Object.keys(by)).toEqual(['W1', 'b1', 'W2', 'b2']);
    for (const p of ['W1', 'b1', 'W2']) expect(by[p].meanAbsDiff).toBeLessThan(1e-8);
    expect(by.b2.meanAbsDiff).toBeGreaterThan(5e-8); // the 1e-7 inside the log, explained in the output
    expect(by.b2.meanAbsDiff).toBeLessThan(5e-7);
    for (const p of Object.values(by)) expect(p.maxAbsDiff).toBeLessThan(1e-6);
    expect(recs[recs.length - 1]).toMatchObject({ type: 'summary', ok: true, count: 3, tolerance: 1e-6 });
  });

  it('gradcheck explains b2 in its table output, and fails with exit 1 over a tolerance', async () => {
    const [text, fail] = await Promise.all([
      run(['gradcheck', '--hidden', '10', ...DATA]),
      run(['gradcheck', '--hidden', '10', '--tolerance', '1e-9', '--json', ...DATA]),
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/│ b2 +│/);
    expect(text.stdout).toContain('Gradient check passed');
    expect(text.stdout).toMatch(/b2 typically shows ~1e-7[^]*log\(y \+ 1e-7\)/);
    expect(fail.code).toBe(1);
    expect(fail.stderr).toMatch(/^nn-train: gradient check failed: .*b2/m);
    const recs = ndjson(fail.stdout);
    expect(recs.find((x) => x.type === 'summary')).toMatchObject({ ok: false });
    expect(recs[recs.length - 1]).toMatchObject({ type: 'error', exitCode: 1 });
  });
});

it('the built CLI exists (test/support/build.ts builds it)', () => {
  expect(existsSync(path.join(REPO_ROOT, 'dist/nn-train.js'))).toBe(true);
  expect(existsSync(path.join(REPO_ROOT, 'dist/nn-train-worker.js'))).toBe(true);
});
