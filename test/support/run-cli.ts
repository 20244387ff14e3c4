import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { expect as globalExpect, type ExpectStatic } from 'vitest';
import { REPO_ROOT } from './mnist.js';

/** The built CLI, run as users run it (test/support/build.ts builds dist/ before the tests start). */
export const BIN = path.join(REPO_ROOT, 'bin/nn-train.js');

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A clean environment: no colour forcing, no data/mirror overrides from the caller's shell. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const k of ['NN_TRAIN_MIRROR', 'NN_TRAIN_DATA_DIR', 'FORCE_COLOR', 'NO_COLOR']) if (!(k in extra)) delete env[k];
  return env;
}

export function start(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
}

export function collect(child: ChildProcess): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

export function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return collect(start(args, env));
}

/** Parses stdout as NDJSON, failing on any line that is not a JSON object. */
export function ndjson(stdout: string): Array<Record<string, any>> {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const v = JSON.parse(l);
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`not a JSON object: ${l}`);
      return v;
    });
}

// eslint-disable-next-line no-control-regex
export const ANSI = /\x1b\[/;

/**
 * An error as the CLI prints it: exactly one line on stderr, `nn-train: ...`, which it returns.
 * Lines starting with `skipPrefix` (a data set's `Loaded ...` line) are left out; pass a
 * concurrent test's own `expect`.
 */
export function oneLineError(r: Run, options: { expect?: ExpectStatic; skipPrefix?: string } = {}): string {
  const expect = options.expect ?? globalExpect;
  const skip = options.skipPrefix;
  const lines = r.stderr.split('\n').filter((l) => l !== '' && !(skip !== undefined && l.startsWith(skip)));
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^nn-train: /);
  return lines[0];
}
