import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sealCheckpoint, UNSEALED } from '../../src/model/checkpoint-seal.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/model/safetensors.js';
import { Rng } from '../../src/tensor/rng.js';
import { describeMnist, MNIST_DIR } from '../support/mnist.js';
import { collect, ndjson, run, start, type Run } from '../support/run-cli.js';

/**
 * --checkpoint and --resume through the real CLI: runs killed (SIGKILL) at random moments,
 * during a checkpoint's write too, or stopped by SIGINT or SIGTERM, then resumed, end with the
 * same weights, bit for bit, as the run never stopped.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'nn-train-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => path.join(dir, name);

// mnist-10k: 8,000 training images, so 80 steps an epoch at batch 100.
const SMALL = ['--dataset', 'mnist-10k', '--offline', '--hidden', '30,20', '--init', 'he', '--optimizer', 'momentum', '--json', '--quiet'];
const ITERS = ['--iters', '1000'];
const LONG = ['--iters', '2000']; // long enough that a signal sent after the first checkpoint finds it running

type Rec = Record<string, any>;
const epochs = (r: Run): Rec[] => ndjson(r.stdout).filter((x) => x.type === 'epoch');
/** What must match between a resumed run and the run never stopped (timings may not). */
const numbers = (e: Rec) => [e.epoch, e.iteration, e.loss, e.trainAcc, e.testAcc];

const reference = new Map<string, Promise<{ run: Run; model: Buffer }>>();
/** The run never stopped, made once per argument list. */
function uninterrupted(args: string[]): Promise<{ run: Run; model: Buffer }> {
  const key = args.join(' ');
  if (!reference.has(key)) {
    const save = file(`whole-${reference.size}.safetensors`);
    reference.set(
      key,
      run([...args, '--threads', '2', '--save', save]).then((r) => {
        expect(r.code, r.stderr).toBe(0);
        return { run: r, model: readFileSync(save) };
      }),
    );
  }
  return reference.get(key)!;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('--checkpoint and --resume', () => {
  it('SIGKILL at random moments, resumed each time: the same final weights as the run never stopped', async () => {
    const whole = await uninterrupted([...SMALL, ...LONG]);
    const ckpt = file('killed.ckpt');
    const save = file('killed.safetensors');
    const rng = new Rng(Date.now() >>> 0);
    const written = () => statSync(ckpt, { throwIfNoEntry: false })?.mtimeMs ?? -1;
    const kills: string[] = [];
    let last: Run | undefined;
    for (let attempt = 0; attempt < 12 && last === undefined; attempt++) {
      const resuming = existsSync(ckpt);
      const threads = ['--threads', String(1 + (attempt % 2))];
      const child = start(resuming ? ['--resume', ckpt, '--save', save, '--json', '--quiet', ...threads] : [...SMALL, ...LONG, ...threads, '--checkpoint', ckpt, '--save', save]);
      const done = collect(child);
      // Half the kills at any moment (the start-up too), half just after a new checkpoint.
      const before = written();
      const delay = rng.int(attempt % 2 === 0 ? 1200 : 60);
      const moment = attempt % 2 === 0 ? sleep(delay) : (async () => {
        while (written() === before) await sleep(5);
        await sleep(delay);
      })();
      const finished = await Promise.race([done, moment.then(() => undefined)]);
      if (finished !== undefined || attempt === 11) {
        last = finished ?? (await done);
        break;
      }
      child.kill('SIGKILL');
      const r = await done;
      kills.push(`${attempt % 2 === 0 ? '' : 'a checkpoint + '}${delay} ms${resuming ? ' (resumed)' : ''}: ${r.signal ?? r.code}`);
    }
    const story = `kills: ${kills.join(', ')}`;
    expect(last!.code, `${last!.stderr}\n${story}`).toBe(0);
    expect(kills.length, story).toBeGreaterThanOrEqual(2);
    expect(readFileSync(save).equals(whole.model), story).toBe(true);
    // The last run's records are the uninterrupted run's from where its checkpoint stood.
    const resumedEpochs = epochs(last!).map(numbers);
    expect(resumedEpochs).toEqual(epochs(whole.run).map(numbers).slice(epochs(whole.run).length - resumedEpochs.length));
  }, 120_000);

  it('SIGKILL in the middle of writing a checkpoint leaves the previous one whole', async () => {
    const whole = await uninterrupted([...SMALL, ...ITERS]);
    const ckpt = file('mid-write.ckpt');
    // The test hook pauses each write halfway through its temporary file.
    const child = start([...SMALL, ...ITERS, '--checkpoint', ckpt], { NN_TRAIN_TEST_WRITE_PAUSE_MS: '3000' });
    const done = collect(child);
    const tmp = () => readdirSync(dir).filter((f) => f.startsWith('.mid-write.ckpt.') && f.endsWith('.tmp'));
    // The first checkpoint is in place and the second one half-written:
    while (!(existsSync(ckpt) && tmp().length > 0)) await sleep(10);
    const before = readFileSync(ckpt);
    child.kill('SIGKILL');
    await done;
    expect(readFileSync(ckpt).equals(before)).toBe(true);
    expect(readFileSync(path.join(dir, tmp()[0])).length).toBeLessThan(before.length); // it was cut short

    const eval1 = await run(['eval', '--model', ckpt, '--dataset', 'mnist-10k', '--offline', '--json']);
    expect(eval1.code, eval1.stderr).toBe(0); // a checkpoint is a model too
    const resumed = await run(['--resume', ckpt, '--save', file('mid-write.safetensors'), '--json', '--quiet']);
    expect(resumed.code, resumed.stderr).toBe(0);
    // It resumes from the checkpoint that was in place, the first (after epoch 1's record, which
    // the background evaluation may finish a few steps, or even an epoch, later).
    const { progress } = JSON.parse(decodeSafetensors(before).metadata.state);
    expect(progress.epoch).toBeGreaterThan(0);
    expect(ndjson(resumed.stdout)[0]).toMatchObject({ type: 'config', resumed: true, fromEpoch: progress.epoch, fromIteration: progress.iteration });
    expect(readFileSync(file('mid-write.safetensors')).equals(whole.model)).toBe(true);
    expect(tmp()).toEqual([]); // the killed write's temporary file went with the next write
  }, 120_000);

  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${signal} writes the checkpoint on the way out (exit ${code}); resumed, the records and weights are the whole run's`, async () => {
      const whole = await uninterrupted([...SMALL, ...LONG]);
      const ckpt = file(`${signal}.ckpt`);
      const child = start([...SMALL, ...LONG, '--checkpoint', ckpt, '--threads', '1']);
      const done = collect(child);
      while (!existsSync(ckpt)) await sleep(5);
      await sleep(new Rng(Date.now() >>> 0).int(50)); // most likely mid-epoch
      child.kill(signal);
      const stopped = await done;
      expect(stopped.code, stopped.stderr).toBe(code);
      expect(stopped.stderr).toContain('Stopping after this step');
      const summary = ndjson(stopped.stdout).find((x) => x.type === 'summary')!;
      expect(summary.interrupted).toBe(true);

      const resumed = await run(['--resume', ckpt, '--save', file(`${signal}.safetensors`), '--json', '--quiet']);
      expect(resumed.code, resumed.stderr).toBe(0);
      // It starts where the stopped run stopped, mid-epoch or not, and its epoch numbers go on.
      expect(ndjson(resumed.stdout)[0]).toMatchObject({ resumed: true, fromIteration: summary.iterations, fromEpoch: summary.epochs });
      expect([...epochs(stopped), ...epochs(resumed)].map(numbers)).toEqual(epochs(whole.run).map(numbers));
      expect(ndjson(resumed.stdout).find((x) => x.type === 'summary')).toMatchObject({ iterations: 2000, epochs: 25 });
      expect(readFileSync(file(`${signal}.safetensors`)).equals(whole.model)).toBe(true);
    }, 120_000);
  }

  it('--epochs raised on resume trains on to the longer run; fewer steps than done is refused', async () => {
    const long = await uninterrupted([...SMALL, '--epochs', '4']);
    const ckpt = file('raised.ckpt');
    const short = await run([...SMALL, '--epochs', '2', '--checkpoint', ckpt]);
    expect(short.code, short.stderr).toBe(0);
    const fewer = await run(['--resume', ckpt, '--iters', '100']);
    expect(fewer.code).toBe(2);
    expect(fewer.stderr.trim()).toBe('nn-train: --iters 100 asks for 100 steps, fewer than the 160 the checkpoint has already taken');
    const more = await run(['--resume', ckpt, '--epochs', '4', '--save', file('raised.safetensors'), '--json', '--quiet']);
    expect(more.code, more.stderr).toBe(0);
    expect(epochs(more).map(numbers)).toEqual(epochs(long.run).map(numbers).slice(2));
    expect(readFileSync(file('raised.safetensors')).equals(long.model)).toBe(true);
  }, 120_000);

  it('a --layers net (conv, pool, dropout) checkpointed after one epoch and resumed ends as the run never stopped', async () => {
    const LAYERS = ['--dataset', 'mnist-10k', '--offline', '--layers', 'conv:4x5,relu,pool:2,affine:20,relu,dropout:0.3', '--optimizer', 'adam', '--lr', '0.001', '--eval-samples', '500', '--json', '--quiet'];
    const long = await uninterrupted([...LAYERS, '--epochs', '3']);
    const ckpt = file('layers.ckpt');
    const short = await run([...LAYERS, '--epochs', '1', '--checkpoint', ckpt]);
    expect(short.code, short.stderr).toBe(0);
    const more = await run(['--resume', ckpt, '--epochs', '3', '--save', file('layers.safetensors'), '--json', '--quiet']);
    expect(more.code, more.stderr).toBe(0);
    expect(epochs(more).map(numbers)).toEqual(epochs(long.run).map(numbers).slice(1));
    expect(readFileSync(file('layers.safetensors')).equals(long.model)).toBe(true);
    // The MLP's own --dropout and --batch-norm do not apply to a layer spec's net.
    const refused = await run(['--arch', 'simple-convnet', '--dropout', '0.5', '--iters', '1']);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toBe('nn-train: --dropout applies to the MLP only; with --arch simple-convnet put dropout:<ratio> in --layers instead');
  }, 120_000);

  it('a flag that would change the numbers is refused on resume (exit 2, naming it); output flags may change', async () => {
    const ckpt = file('flags.ckpt');
    expect((await run([...SMALL, '--iters', '100', '--checkpoint', ckpt])).code).toBe(0);
    const before = readFileSync(ckpt);
    for (const [flag, value, saved] of [['--lr', '0.5', '0.01'], ['--hidden', '30', '30,20'], ['--optimizer', 'adam', 'momentum'], ['--seed', '7', '42'], ['--batch-size', '50', '100'], ['--dataset', 'mnist', 'mnist-10k']]) {
      const r = await run(['--resume', ckpt, flag, value, '--iters', '200']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim()).toBe(`nn-train: ${flag} ${value} differs from the checkpoint's ${saved}: a resumed run keeps the settings it started with`);
    }
    expect(readFileSync(ckpt).equals(before)).toBe(true);
    // The same values typed again are fine, as are other output flags and a new checkpoint file.
    // (The first run's last epoch was 20 steps long; the epochs go on from its end.)
    const same = await run(['--resume', ckpt, '--lr', '0.01', '--hidden', '30,20', '--iters', '160', '--checkpoint', file('flags2.ckpt')]);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toMatch(/│ +3 │ +160 │/);
    expect(existsSync(file('flags2.ckpt'))).toBe(true);
    const clash = await run(['--resume', ckpt, '--save', ckpt]);
    expect([clash.code, clash.stderr.trim()]).toEqual([2, `nn-train: --save ${ckpt} is the checkpoint file too; give them different names`]);
  }, 120_000);

  it('a damaged, foreign or newer checkpoint: one line naming the problem, exit 1, nothing written', async () => {
    const ckpt = file('good.ckpt');
    expect((await run([...SMALL, '--iters', '80', '--checkpoint', ckpt])).code).toBe(0);
    const good = readFileSync(ckpt);
    const model = file('model.safetensors');
    expect((await run([...SMALL, '--iters', '10', '--save', model])).code).toBe(0);
    const { tensors, metadata } = decodeSafetensors(good);
    const newer = encodeSafetensors(tensors, { ...metadata, formatVersion: '2', checksum: UNSEALED });
    sealCheckpoint(newer);
    const flipped = Buffer.from(good);
    flipped[good.length - 100] ^= 0x10; // a bit of a weight
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ['truncated', good.subarray(0, good.length - 1000), /is damaged or not a checkpoint: .*truncated/],
      ['bit-flipped', flipped, /is damaged: its contents do not match their checksum/],
      ['foreign', encodeSafetensors(new Map([['weight', { dtype: 'F32', shape: [2], data: new Float32Array(2) }]]), {}), /is not an nn-train checkpoint \(its metadata names no format/],
      ['model', readFileSync(model), /is a model saved by --save, not a checkpoint/],
      ['newer', newer, /was written by a newer nn-train \(checkpoint format version 2; this one reads up to 1\)/],
      ['text', Buffer.from('hello, world\n'), /is damaged or not a checkpoint/],
    ];
    for (const [name, bytes, message] of cases) {
      const bad = file(`${name}.ckpt`);
      writeFileSync(bad, bytes);
      const save = file(`${name}-out.safetensors`);
      const r = await run(['--resume', bad, '--save', save, '--json']);
      expect(r.code, `${name}: ${r.stderr}`).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines, name).toHaveLength(1);
      expect(lines[0], name).toMatch(new RegExp(`^nn-train: checkpoint ${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} ${message.source}`));
      expect(ndjson(r.stdout)).toEqual([{ type: 'error', message: lines[0].replace('nn-train: ', ''), exitCode: 1 }]);
      expect(readFileSync(bad).equals(Buffer.from(bytes)), name).toBe(true);
      expect(existsSync(save), name).toBe(false);
    }
    const missing = await run(['--resume', file('none.ckpt')]);
    expect([missing.code, missing.stderr.trim()]).toEqual([1, `nn-train: cannot read checkpoint ${file('none.ckpt')}: no such file`]);
  }, 120_000);

  it('a NaN loss stops at once with one line naming the step and --lr, exit 1', async () => {
    const ckpt = file('nan.ckpt');
    const r = await run(['--dataset', 'mnist-10k', '--offline', '--hidden', '5', '--lr', '1e30', '--epochs', '2', '--quiet', '--checkpoint', ckpt, '--save', file('nan.safetensors')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('nn-train: training diverged at step 2: the loss became NaN; the learning rate 1e+30 is too large, try a smaller --lr');
    expect(existsSync(ckpt)).toBe(false); // no checkpoint of NaN weights
    expect(existsSync(file('nan.safetensors'))).toBe(false);
  });

  it('a learning rate so large the first epoch does not lower the loss warns once, on stderr and as a record', async () => {
    const r = await run(['--dataset', 'mnist-10k', '--offline', '--lr', '100', '--epochs', '3', '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const warnings = ndjson(r.stdout).filter((x) => x.type === 'warning');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].code).toBe('loss-not-falling');
    expect(warnings[0].message).toMatch(/^the loss did not fall in the first epoch \(2\.\d+ at the first step, 1\d\.\d+ on average over epoch 1\): the learning rate 100 is likely too large; try a smaller --lr$/);
    expect(r.stderr.trim()).toBe(`warning: ${warnings[0].message}`);
  });

  it('a first epoch of a few steps (the overfitting experiment: 300 images, 3 steps) is too short to judge, and does not warn', async () => {
    const r = await run(['--dataset', 'mnist-10k', '--offline', '--train-size', '300', '--hidden', '100,100,100,100,100,100', '--init', 'he', '--optimizer', 'sgd', '--lr', '0.01', '--epochs', '2', '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(ndjson(r.stdout).filter((x) => x.type === 'warning')).toEqual([]);
    expect(r.stderr).toBe('');
  });
});

describeMnist('checkpoints on the real MNIST', () => {
  const DATA = ['--offline', '--no-fallback', '--data-dir', MNIST_DIR, '--quiet', '--json'];

  it("the book's run does not warn, and stopped by SIGINT mid-epoch and resumed it ends as the run never stopped", async () => {
    const whole = await uninterrupted([...DATA, '--iters', '900']);
    expect(ndjson(whole.run.stdout).filter((x) => x.type === 'warning')).toEqual([]);
    expect(whole.run.stderr).toBe('');
    const ckpt = file('book.ckpt');
    const child = start([...DATA, '--iters', '900', '--checkpoint', ckpt, '--threads', '1']);
    const done = collect(child);
    let seen = '';
    // Stop once the first epoch (600 steps) is out: the rest is mid-epoch.
    await new Promise<void>((resolve) => child.stdout!.on('data', (d) => ((seen += d), /"type":"epoch"/.test(seen) && resolve())));
    child.kill('SIGINT');
    const stopped = await done;
    expect(stopped.code, stopped.stderr).toBe(130);
    const resumed = await run(['--resume', ckpt, '--save', file('book.safetensors'), ...DATA]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect([...epochs(stopped), ...epochs(resumed)].map(numbers)).toEqual(epochs(whole.run).map(numbers));
    expect(readFileSync(file('book.safetensors')).equals(whole.model)).toBe(true);
  }, 120_000);
});
