import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { SearchConfigValues } from '../../config.js';
import { RuntimeFailure } from '../../errors.js';
import { trialFromRecord } from '../../report/search-report.js';
import { subShard, type Shard, type TrialResult } from '../../train/search.js';
import { EXIT_INTERRUPTED } from '../signals.js';

/**
 * Runs a search's trials in `jobs` child processes of this same CLI, each `nn-train search
 * --jobs 1 --json` on a sub-shard of `shard`, and hands their trial records to `onTrial` as
 * they come. Child processes rather than worker threads: a child is exactly the command a
 * user would run for a shard (so parallel, sharded and single-process searches are the same
 * code and give the same trials bit for bit), it needs no second bundle entry, and a trial
 * that runs out of memory ends its own process, not the search.
 *
 * Resolves with whether Ctrl-C (signal) stopped them; throws RuntimeFailure if a child failed.
 */
export async function runTrialsInChildren(
  config: SearchConfigValues,
  dataset: string,
  shard: Shard,
  jobs: number,
  signal: AbortSignal,
  onTrial: (t: TrialResult) => void,
): Promise<boolean> {
  const children: ChildProcess[] = [];
  const stop = () => children.forEach((c) => c.exitCode === null && c.kill('SIGINT'));
  signal.addEventListener('abort', stop);
  try {
    const exits = Array.from({ length: jobs }, (_, k) => {
      const child = spawn(process.execPath, [process.argv[1], 'search', ...childArgs(config, dataset, subShard(shard, k + 1, jobs))], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      return watchChild(child, onTrial);
    });
    const results = await Promise.allSettled(exits);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed !== undefined && !signal.aborted) {
      stop();
      throw (failed as PromiseRejectedResult).reason;
    }
    return signal.aborted || results.some((r) => r.status === 'fulfilled' && r.value === EXIT_INTERRUPTED);
  } finally {
    signal.removeEventListener('abort', stop);
  }
}

/** A child's trial records to onTrial; resolves with its exit code (0 or 130), rejects with its error otherwise. */
function watchChild(child: ChildProcess, onTrial: (t: TrialResult) => void): Promise<number> {
  let error = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-2000)));
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return;
    }
    const trial = trialFromRecord(value);
    if (trial !== null) onTrial(trial);
    else if ((value as { type?: unknown }).type === 'error') error = String((value as { message?: unknown }).message);
  });
  const closed = new Promise<void>((resolve) => lines.on('close', resolve));
  return new Promise((resolve, reject) => {
    child.on('error', (err) => reject(new RuntimeFailure(`cannot start a search process: ${err.message}`)));
    child.on('close', async (code, sig) => {
      await closed;
      if (code === 0 || code === EXIT_INTERRUPTED || sig === 'SIGINT') resolve(code ?? EXIT_INTERRUPTED);
      else reject(new RuntimeFailure(`a search process failed (exit ${code ?? sig}): ${error || stderr.trim().split('\n').pop() || 'no message'}`));
    });
  });
}

/** The flags that make a child run the same trials as this process would, for one sub-shard. */
function childArgs(c: SearchConfigValues, dataset: string, shard: Shard): string[] {
  const args = [
    '--json', '--quiet', '--jobs', '1', '--shard', `${shard.index}/${shard.count}`,
    '--lr', c.lr.text, '--weight-decay', c.weightDecay.text,
    '--trials', String(c.trials), '--epochs', String(c.epochs), '--batch-size', String(c.batchSize),
    '--train-size', String(c.trainSize), '--validation-split', String(c.validationSplit),
    '--hidden', c.hidden.join(','), '--activation', c.activation, '--init', c.init, '--weight-init-std', String(c.weightInitStd),
    '--optimizer', c.optimizer, '--momentum', String(c.momentum), '--beta1', String(c.beta1), '--beta2', String(c.beta2),
    '--dropout', String(c.dropout), '--seed', String(c.seed),
    // The data set this process loaded (after any fallback), from where it found it.
    '--dataset', dataset,
  ];
  if (c.batchNorm) args.push('--batch-norm');
  if (c.dataDir !== undefined) args.push('--data-dir', c.dataDir);
  if (c.mirror !== undefined) args.push('--mirror', c.mirror);
  if (c.offline) args.push('--offline');
  if (!c.fallback) args.push('--no-fallback');
  return args;
}
