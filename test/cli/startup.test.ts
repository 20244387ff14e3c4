import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/mnist.js';
import { BIN, cliEnv, collect, run } from './run-cli.js';

// `nn-train --help` must start fast (issue 5: under 150 ms). Timing is too noisy for a test on a
// shared machine, so this checks the cause instead: what the help path loads. zod, ora, chalk,
// cli-table3 and the engine are loaded only inside a command's action.

const TRACE = path.join(REPO_ROOT, 'test/cli/fixtures/trace-loads.mjs');

/** The modules a run of the CLI loads, as paths relative to the project (node: builtins dropped). */
async function loadedModules(args: string[]): Promise<{ code: number | null; modules: string[] }> {
  const child = spawn(process.execPath, ['--import', TRACE, BIN, ...args], { cwd: REPO_ROOT, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const r = await collect(child);
  const modules = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('load: file://'))
    .map((l) => path.relative(REPO_ROOT, new URL(l.slice('load: '.length)).pathname));
  return { code: r.code, modules };
}

const HEAVY = [/node_modules\/(zod|ora|chalk|cli-table3)\//, /^dist\/config\.js$/, /^dist\/report\//, /^dist\/data\//, /^dist\/layers\//, /^dist\/kernels\/(?!backends\.js$)/, /-run\.js$/];

describe.concurrent('start-up loads nothing heavy', () => {
  for (const args of [['--help'], ['--version'], ['help', 'eval'], ['train', '--help'], ['gradcheck', '--help'], ['download', '--help']]) {
    it(`nn-train ${args.join(' ')}`, async () => {
      const { code, modules } = await loadedModules(args);
      expect(code).toBe(0);
      expect(modules).toContain('dist/cli/program.js'); // the trace works
      expect(modules.filter((m) => HEAVY.some((h) => h.test(m)))).toEqual([]);
    });
  }

  it('a command loads its schema and engine when it runs', async () => {
    const { code, modules } = await loadedModules(['demo', 'apple']);
    expect(code).toBe(0);
    expect(modules).toEqual(expect.arrayContaining(['dist/cli/commands/demo-run.js', 'dist/report/demo-report.js']));
    expect(modules.some((m) => m.startsWith('node_modules/zod/'))).toBe(true);
  });
});

describe.concurrent('help still shows defaults and examples', () => {
  it('--help: the book defaults on their flags, the commands, examples and exit codes', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    const flat = r.stdout.replace(/\n {20,}/g, ' ');
    for (const [flag, value] of [['--hidden <sizes>', '50'], ['--activation <name>', 'relu'], ['--init <name>', 'std'], ['--epochs <n>', '17'], ['--batch-size <n>', '100'], ['--weight-init-std <x>', '0.01'], ['--seed <n>', '42'], ['--dtype <type>', 'float32'], ['--optimizer <name>', 'sgd'], ['--dataset <name>', 'mnist']]) {
      expect(flat).toMatch(new RegExp(`${flag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} .*\\(default: ${value.replace('.', '\\.')}\\)`));
    }
    expect(flat).toMatch(/--lr <x> +learning rate \(default: 0\.1 sgd, 0\.01 momentum, 0\.01 adagrad, 0\.001 adam\)/);
    for (const c of ['gradcheck', 'demo', 'download', 'inspect-gradients', 'eval', 'predict']) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    expect(r.stdout).toContain('$ nn-train --hidden 50 --epochs 17');
    expect(r.stdout).toContain('Exit codes: 0 ok');
  });

  for (const [cmd, example, flag] of [
    ['gradcheck', '$ nn-train gradcheck --data-dir', /--tolerance <x> .*\(default: 0\.000001\)/],
    ['inspect-gradients', '--activation sigmoid --init std', /--batch-size <n> .*\(default: 100\)/],
    ['eval', '$ nn-train eval --model m.safetensors', /--split <name> .*\(default: test\)/],
    ['predict', '$ nn-train predict --model m.safetensors --index 0', /--split <name> .*\(default: test\)/],
    ['download', '$ nn-train download --dataset fashion-mnist --json', /--timeout <sec> .*\(default: "30"\)/],
    ['demo', '$ nn-train demo apple-orange', /--x <number> .*\(default: "1\.5"\)/],
  ] as const) {
    it(`help ${cmd}: its defaults and examples`, async () => {
      const r = await run(['help', cmd]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(example);
      expect(r.stdout.replace(/\n {20,}/g, ' ')).toMatch(flag);
    });
  }
});
