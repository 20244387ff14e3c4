import type { ParamCheck } from '../network/gradient-check.js';
import type { TrainEvent, TrainSummary } from '../train/trainer.js';
import { sparkChart } from './chart.js';
import { CommandReporter, oraFor, type OraFactory, type ReporterOptions } from './command-report.js';
import { EpochTable } from './epoch-table.js';
import { gradcheckTable, gradcheckVerdict } from './gradcheck-report.js';
import { ProgressLine, bar, clock } from './progress.js';
import {
  type EpochEvent,
  epochRecord,
  gradcheckRecord,
  summaryRecord,
  toJsonLine,
  warningRecord,
} from './records.js';
import { thousands } from './thousands.js';

/** A training run's reporter, with ora only when a spinner can show. */
export async function createTrainReporter(o: ReporterOptions): Promise<TrainReporter> {
  return new TrainReporter(o, await oraFor(o));
}

/**
 * Turns a training run's events into output. Two streams, two jobs:
 * stdout gets results only (the epoch table and summary, or NDJSON with --json); stderr gets
 * the live part (spinner while data loads, a progress bar with ETA inside each epoch,
 * notices and warnings), and only when it is a terminal with a width and not --quiet.
 */
export class TrainReporter extends CommandReporter {
  private readonly progress: ProgressLine | undefined;
  private readonly table: EpochTable;
  private readonly epochs: EpochEvent[] = [];
  private plan = { iterations: 0, iterPerEpoch: 1, epochs: 0, batchSize: 0 };
  private epochStarted = performance.now(); // when this epoch's first step was reported (its ETA's clock)
  private pendingSummary: TrainSummary | undefined;
  private stoppedBy = 'Ctrl-C';

  constructor(o: ReporterOptions, ora?: OraFactory) {
    super(o, ora);
    this.table = new EpochTable(o.out);
    if (o.err.live) this.progress = new ProgressLine(o.stderr);
  }

  config(record: object, headline: string): void {
    if (this.o.json) this.o.write(toJsonLine(record));
    else this.o.write(headline);
  }

  /** `method` says how the numerical side was taken, when not the book's full check. */
  gradcheck(checks: ParamCheck[], tolerance: number, count: number, method?: string): void {
    if (this.o.json) {
      for (const c of checks) this.o.write(toJsonLine(gradcheckRecord(c, tolerance)));
      return;
    }
    this.o.write(gradcheckTable(checks, tolerance, this.o.out));
    this.o.write(gradcheckVerdict(checks, tolerance, count, this.o.out, method));
  }

  event(e: TrainEvent): void {
    switch (e.type) {
      case 'start':
        this.plan = e;
        break;
      case 'step':
        if (this.progress) {
          // An epoch's steps may begin before the previous epoch's row is out (its accuracies
          // counted beside them), so the clock restarts at each epoch's first step.
          const first = (e.iteration - 1) % this.plan.iterPerEpoch === 0;
          if (first) this.epochStarted = performance.now();
          this.progress.update(this.progressText(e.iteration, e.loss), first);
        }
        break;
      case 'evaluating':
        this.progress?.update(
          `${this.epochLabel(e.epoch)} ${this.o.err.chalk.dim('evaluating on the training and test sets...')}`,
          true,
        );
        break;
      case 'epoch':
        this.progress?.clear();
        this.epochs.push(e);
        this.o.write(this.o.json ? toJsonLine(epochRecord(e)) : this.table.row(e));
        break;
      case 'done':
        this.progress?.clear();
        // NDJSON keeps `summary` the last record: the run adds its confusion record first.
        if (this.o.json) this.pendingSummary = e.summary;
        else this.finish(e.summary);
        break;
    }
  }

  /** With --json, writes the summary record held back at the `done` event. */
  writeSummary(): void {
    if (this.pendingSummary === undefined) return;
    this.o.write(toJsonLine(summaryRecord(this.pendingSummary)));
    this.pendingSummary = undefined;
  }

  /** The first Ctrl-C (or SIGTERM): training stops after the current step. */
  stopping(signal: 'SIGINT' | 'SIGTERM' = 'SIGINT'): void {
    this.stoppedBy = signal === 'SIGINT' ? 'Ctrl-C' : signal;
    const again = signal === 'SIGINT' ? 'Ctrl-C again' : 'a second signal';
    this.notice(this.o.err.chalk.yellow(`Stopping after this step (${again} to quit at once)...`), true);
  }

  /** A warning: on stderr always, and as a `warning` record with --json. */
  warning(code: string, message: string): void {
    this.notice(this.o.err.chalk.yellow(`warning: ${message}`), true);
    if (this.o.json) this.o.write(toJsonLine(warningRecord(code, message)));
  }

  /**
   * A resumed run's earlier epochs: not printed again (they were, by the run that made the
   * checkpoint), but part of the chart and the plot.
   */
  resumed(records: readonly EpochEvent[]): void {
    this.epochs.push(...records);
  }

  protected override clearLive(): void {
    this.progress?.clear();
  }

  private finish(s: TrainSummary): void {
    if (this.o.json) {
      this.o.write(toJsonLine(summaryRecord(s)));
      return;
    }
    const end = this.table.end();
    if (end !== undefined) this.o.write(end);
    const c = this.o.out.chalk;
    const lines: string[] = [];
    if (s.interrupted) {
      lines.push(c.yellow(`Stopped by ${this.stoppedBy} after ${thousands(s.iterations)} of ${thousands(this.plan.iterations)} iterations.`));
    }
    if (s.epochs > 0) {
      const best = Number.isNaN(s.bestValAcc) ? `best test acc ${s.bestTestAcc.toFixed(4)}` : `val acc ${s.finalValAcc.toFixed(4)}, best val acc ${s.bestValAcc.toFixed(4)}`;
      lines.push(
        `Final: train acc ${s.finalTrainAcc.toFixed(4)}, test acc ${c.bold(s.finalTestAcc.toFixed(4))}, loss ${s.finalLoss.toFixed(4)}` +
          `; ${best} (epoch ${s.bestEpoch})`,
      );
    }
    lines.push(
      `Time: ${s.seconds.toFixed(1)} s for ${thousands(s.iterations)} iterations and ${plural(s.epochs, 'evaluation')}, ` +
        `${thousands(Math.round(s.imagesPerSecond))} training images/s`,
    );
    this.o.write(lines.join('\n'));
    if (!this.o.quiet && this.epochs.length > 1) {
      this.o.write(
        sparkChart(
          [
            { label: 'loss', values: this.epochs.map((e) => e.loss), color: 'yellow', digits: 4 },
            { label: 'train acc', values: this.epochs.map((e) => e.trainAcc), color: 'cyan', digits: 4 },
            this.epochs[0].valAcc === undefined
              ? { label: 'test acc', values: this.epochs.map((e) => e.testAcc), color: 'green', digits: 4 }
              : { label: 'val acc', values: this.epochs.map((e) => e.valAcc ?? NaN), color: 'green', digits: 4 },
          ],
          this.o.out,
        ),
      );
    }
  }

  get epochEvents(): readonly EpochEvent[] {
    return this.epochs;
  }

  private epochLabel(epoch: number): string {
    return `epoch ${String(epoch).padStart(String(this.plan.epochs).length)}/${this.plan.epochs}`;
  }

  private progressText(iteration: number, loss: number): string {
    const { iterations, iterPerEpoch } = this.plan;
    const epoch = Math.floor((iteration - 1) / iterPerEpoch) + 1;
    const first = (epoch - 1) * iterPerEpoch + 1;
    const length = Math.min(iterPerEpoch, iterations - first + 1);
    const done = iteration - first + 1;
    const elapsed = (performance.now() - this.epochStarted) / 1000;
    const eta = done > 1 ? (elapsed / done) * (length - done) : NaN;
    const c = this.o.err.chalk;
    return (
      `${this.epochLabel(epoch)} ${c.cyan(bar(done / length, 24))} ${done}/${length}` +
      `  loss ${loss.toFixed(4)}  ETA ${clock(eta)}`
    );
  }
}

/** A short first line for people: what is being trained, on what, for how long. */
export function headline(p: {
  architecture: string; // e.g. 784-50-10
  dataset: string;
  batchSize: number;
  lr: number;
  iterations: number;
  iterPerEpoch: number;
  epochs: number;
  seed: number;
  dtype: string;
  kernels: string;
  activation?: string; // relu | sigmoid
  init?: string; // std | xavier | he
  optimizer?: string; // sgd | momentum | adagrad | adam | nesterov | rmsprop
}): string {
  const net = p.activation !== undefined ? ` (${p.activation}, ${p.init ?? 'std'} init)` : '';
  return (
    `Training ${p.architecture}${net} on ${p.dataset}: batch ${p.batchSize}, ${p.optimizer ?? 'sgd'} lr ${p.lr}, ` +
    `${thousands(p.iterations)} iterations (${thousands(p.iterPerEpoch)} per epoch, ${plural(p.epochs, 'evaluation')}), ` +
    `seed ${p.seed}, ${p.dtype}, ${p.kernels} kernels`
  );
}

export function plural(n: number, word: string): string {
  return `${thousands(n)} ${word}${n === 1 ? '' : 's'}`;
}

/** The warning when the first epoch's mean loss is not below the first step's. */
export function lossNotFallingMessage(firstLoss: number, epochLoss: number, lr: number): string {
  return (
    `the loss did not fall in the first epoch (${firstLoss.toFixed(4)} at the first step, ${epochLoss.toFixed(4)} on average over epoch 1): ` +
    `the learning rate ${lr} is likely too large; try a smaller --lr`
  );
}

/** The one line when training diverged; `checkpoint` is the file that keeps the last good state. */
export function divergedMessage(d: { iteration: number; what: 'loss' | 'weights'; value: number }, lr: number, checkpoint?: string): string {
  const kept = checkpoint !== undefined ? `; ${checkpoint} keeps the last good state` : '';
  return `training diverged at step ${thousands(d.iteration)}: the ${d.what === 'loss' ? 'loss' : 'weights'} became ${d.value}; the learning rate ${lr} is too large, try a smaller --lr${kept}`;
}
