import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/mnist.js';
import { cliEnv, collect, ndjson } from '../support/run-cli.js';

// A long run loads what its end needs (--save, --plot) before it trains: an hour later dist/
// may have been rebuilt or upgraded, its chunk files replaced. A copy of the built CLI is run,
// and its chunks deleted once the first epoch is reported.

describe('a run whose dist/ changes under it', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nn-long-run-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('still writes its --save model and --plot figure', async () => {
    const copy = path.join(dir, 'nn-train');
    for (const part of ['bin', 'dist', 'package.json']) cpSync(path.join(REPO_ROOT, part), path.join(copy, part), { recursive: true });
    symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(copy, 'node_modules'));
    const model = path.join(dir, 'm.safetensors');
    const plot = path.join(dir, 'curves.svg');
    // The reference kernels make each epoch take about a second: time to pull the chunks away.
    const args = ['--dataset', 'mnist-10k', '--offline', '--backend', 'reference', '--hidden', '20', '--epochs', '3', '--json', '--save', model, '--plot', plot];
    const child = spawn(process.execPath, [path.join(copy, 'bin/nn-train.js'), ...args], { cwd: dir, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let deleted = 0;
    child.stdout!.on('data', (d: Buffer) => {
      if (deleted > 0 || !d.toString().includes('"type":"epoch"')) return;
      for (const f of readdirSync(path.join(copy, 'dist'))) {
        if (!f.endsWith('.js')) continue;
        rmSync(path.join(copy, 'dist', f));
        deleted++;
      }
    });
    const r = await collect(child);
    expect(r.code, r.stderr).toBe(0);
    expect(deleted).toBeGreaterThan(5);
    const records = ndjson(r.stdout);
    expect(records.filter((x) => x.type === 'epoch')).toHaveLength(3);
    expect(records.at(-1)!.type).toBe('summary');
    expect(existsSync(model)).toBe(true);
    expect(existsSync(plot)).toBe(true);
  }, 120_000);
});
