import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/mnist.js';
import { BIN, cliEnv, collect, ndjson, oneLineError, run, start } from '../../support/run-cli.js';

// `nn-train search` and chapter 6's training flags, through the built CLI on the bundled
// mnist-10k (offline). The searches are small: 4 trials of 2 epochs on 500 images.

const SMALL = ['--dataset', 'mnist-10k', '--offline'];
const SEARCH = ['search', '--trials', '4', '--epochs', '2', '--json', '--quiet', ...SMALL];
const tmp = mkdtempSync(path.join(tmpdir(), 'nn-train-search-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The `trial` records of a run, by index. */
function trials(stdout: string): Array<Record<string, any>> {
  return ndjson(stdout).filter((r) => r.type === 'trial').sort((a, b) => a.index - b.index);
}

describe('nn-train search', () => {
  it('sharded, in one process or several: the same trials, and --summarize ranks the shards as the whole search', async () => {
    const [whole, one, shard1, shard2] = await Promise.all([
      run([...SEARCH, '--jobs', '2']),
      run([...SEARCH, '--jobs', '1']),
      run([...SEARCH, '--jobs', '1', '--shard', '1/2']),
      run([...SEARCH, '--jobs', '1', '--shard', '2/2']),
    ]);
    for (const r of [whole, one, shard1, shard2]) expect(r.code, r.stderr).toBe(0);
    expect(trials(whole.stdout).map((t) => t.index)).toEqual([0, 1, 2, 3]);
    expect(trials(one.stdout)).toEqual(trials(whole.stdout));
    expect(trials(shard1.stdout).map((t) => t.index)).toEqual([0, 2]);
    expect(trials(shard2.stdout).map((t) => t.index)).toEqual([1, 3]);
    expect([...trials(shard1.stdout), ...trials(shard2.stdout)].sort((a, b) => a.index - b.index)).toEqual(trials(whole.stdout));

    // Each trial: its draw, its curve (one entry per epoch), accuracies from the validation images.
    const t0 = trials(whole.stdout)[0];
    expect(t0.epochs).toHaveLength(2);
    expect(t0.lr).toBeGreaterThanOrEqual(1e-6);
    expect(t0.lr).toBeLessThanOrEqual(1e-2);
    expect(t0.weightDecay).toBeGreaterThanOrEqual(1e-8);
    expect(t0.weightDecay).toBeLessThanOrEqual(1e-4);
    expect(t0.valAcc * 100).toBeCloseTo(Math.round(t0.valAcc * 100), 9); // 100 validation images (20% of 500)

    const a = path.join(tmp, 'a.ndjson'), b = path.join(tmp, 'b.ndjson');
    writeFileSync(a, shard1.stdout);
    writeFileSync(b, shard2.stdout);
    const search = ndjson(whole.stdout).find((r) => r.type === 'search')!;
    const summarized = await run(['search', '--summarize', b, a, '--json']);
    expect(summarized.code).toBe(0);
    expect(ndjson(summarized.stdout)).toEqual([{ ...search }]);
    // The table too, from stdin: same rows, same order.
    const table = await run(['search', '--trials', '4', '--epochs', '2', '--jobs', '1', '--quiet', ...SMALL]);
    const fromStdin = spawn(process.execPath, [BIN, 'search', '--summarize', '-'], { cwd: REPO_ROOT, env: cliEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    fromStdin.stdin.end(shard2.stdout + shard1.stdout);
    expect((await collect(fromStdin)).stdout).toBe(table.stdout);
    expect(table.stdout).toMatch(/│ +1 │ +\d │ +0\.\d{4} │/);
  });

  it('trial i is the same in a longer search; --lr as a plain number fixes it', async () => {
    const [four, two, fixed] = await Promise.all([
      run([...SEARCH, '--jobs', '1']),
      run([...SEARCH, '--jobs', '1', '--trials', '2']),
      run([...SEARCH, '--jobs', '1', '--trials', '2', '--lr', '0.005']),
    ]);
    expect(trials(two.stdout)).toEqual(trials(four.stdout).slice(0, 2));
    for (const t of trials(fixed.stdout)) expect(t.lr).toBe(0.005);
    // fixing lr leaves the other draws as they were
    expect(trials(fixed.stdout).map((t) => [t.seed, t.weightDecay])).toEqual(trials(two.stdout).map((t) => [t.seed, t.weightDecay]));
  });

  it('--plot writes an SVG grid of the best trials', async () => {
    const file = path.join(tmp, 'grid.svg');
    const r = await run([...SEARCH, '--jobs', '1', '--trials', '2', '--plot', file]);
    expect(r.code).toBe(0);
    const svg = readFileSync(file, 'utf8');
    expect(svg).toMatch(/^<\?xml/);
    expect(svg.match(/Best-\d/g)).toHaveLength(2);
  });

  it('Ctrl-C prints the finished trials and exits 130', async () => {
    const child = start(['search', '--trials', '1000', '--epochs', '2', '--json', ...SMALL]);
    const done = collect(child);
    let seen = '';
    await new Promise<void>((resolve) => {
      child.stdout!.on('data', (d) => {
        seen += d;
        if ((seen.match(/"type":"trial"/g) ?? []).length >= 2) resolve();
      });
    });
    child.kill('SIGINT');
    const r = await done;
    expect(r.code).toBe(130);
    const records = ndjson(r.stdout);
    const search = records.find((x) => x.type === 'search')!;
    expect(search.finished).toBe(records.filter((x) => x.type === 'trial').length);
    expect(search.finished).toBeLessThan(1000);
  });
});

describe.concurrent('chapter 6 usage errors: exit 2 and one line naming the flag', () => {
  const cases: Array<[string[], RegExp]> = [
    [['search', '--lr', '1e-2:1e-6'], /^nn-train: --lr range min must be <= max, got 1e-2:1e-6$/],
    [['search', '--lr', '0:1e-2'], /^nn-train: --lr range bounds must be > 0 \(the range is log-uniform\)/],
    [['search', '--weight-decay', '-1'], /^nn-train: --weight-decay must be >= 0, got -1/],
    [['search', '--shard', '3/2'], /^nn-train: --shard must be I\/N with 1 <= I <= N, e\.g\. 1\/4, got 3\/2$/],
    [['search', '--dropout', '1'], /^nn-train: --dropout must be in \[0, 1\), got 1$/],
    [['search', '--validation-split', '0'], /^nn-train: --validation-split must be in \(0, 1\), got 0$/],
    [['search', '--train-size', '9000', ...SMALL], /^nn-train: --train-size must be at most 8000 \(the mnist-10k training images\), got 9000$/],
    [['--weight-decay', '-0.1'], /^nn-train: --weight-decay must be >= 0, got -0.1$/],
    [['--dropout', '-0.5'], /^nn-train: --dropout must be in \[0, 1\), got -0.5$/],
    [['--train-size', '0'], /^nn-train: --train-size must be a positive integer, got 0$/],
    [['--train-size', '8001', ...SMALL], /^nn-train: --train-size must be at most 8000/],
    [['--validation-split', '1.5'], /^nn-train: --validation-split must be in \(0, 1\), got 1.5$/],
    [['--validation-split', '0.5', '--train-size', '1', ...SMALL], /^nn-train: --validation-split 0.5 holds out no image of 1$/],
    [['--optimizer', 'lion'], /^nn-train: --optimizer must be one of sgd, momentum, adagrad, adam, nesterov, rmsprop, got lion$/],
  ];
  for (const [args, message] of cases) {
    it(args.join(' '), async ({ expect }) => {
      const r = await run(args);
      expect(r.code).toBe(2);
      expect(oneLineError(r, { expect, skipPrefix: 'Loaded ' })).toMatch(message);
    });
  }
});
