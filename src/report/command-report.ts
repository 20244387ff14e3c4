import type { Options as OraOptions, Ora } from 'ora';
import type { DatasetRecord } from './records.js';
import type { Style } from './style.js';
import { thousands } from './thousands.js';

/** What the data module reports while it loads (structurally the same as its DataEvent). */
export type DataProgress =
  | { type: 'download-start'; file: string; url: string; totalBytes?: number }
  | { type: 'download-progress'; file: string; receivedBytes: number; totalBytes?: number }
  | { type: 'download-done'; file: string; bytes: number; md5: string }
  | { type: 'cached'; file: string }
  | { type: 'warning'; message: string };

export interface ReporterOptions {
  json: boolean;
  quiet: boolean;
  out: Style; // how stdout may look (colour of the table)
  err: Style; // how stderr may look (live spinner and progress only when err.live)
  write: (line: string) => void; // stdout, one result line at a time
  note: (line: string) => void; // stderr
  stderr: NodeJS.WriteStream;
}

/** ora's default export: a spinner for these options. */
export type OraFactory = (options: OraOptions) => Ora;

/**
 * ora for these options, imported only when a spinner can show (a live terminal): ora is
 * ~120 ms of start-up that a piped or --json run never uses.
 */
export async function oraFor(o: ReporterOptions): Promise<OraFactory | undefined> {
  return o.err.live ? (await import('ora')).default : undefined;
}

/** A reporter for a command that reads a data set and prints its own results. */
export async function createCommandReporter(o: ReporterOptions): Promise<CommandReporter> {
  return new CommandReporter(o, await oraFor(o));
}

/**
 * What every command that reads a data set says on stderr around its work: a spinner while
 * the data loads (live terminals only), download progress, the `Loaded ...` line, warnings and
 * notices. Results go to stdout through the command's own report functions.
 */
export class CommandReporter {
  protected spinner: Ora | undefined;

  /** `ora` is needed for the spinner when o.err.live (oraFor gives it then). */
  constructor(
    protected readonly o: ReporterOptions,
    private readonly ora?: OraFactory,
  ) {}

  loading(text: string): void {
    // ora loops forever on a zero-column terminal and grabs stdin by default (eating our
    // Ctrl-C), hence the live guard and discardStdin: false.
    if (this.o.err.live && this.ora) {
      this.spinner = this.ora({ text, stream: this.o.stderr, discardStdin: false, color: 'cyan', isEnabled: true }).start();
    }
  }

  dataEvent(e: DataProgress): void {
    if (e.type === 'warning') {
      this.notice(this.o.err.chalk.yellow(`warning: ${e.message}`), true);
      return;
    }
    if (this.spinner === undefined) return;
    if (e.type === 'download-start') this.spinner.text = `Downloading ${e.file} from ${e.url}`;
    else if (e.type === 'download-progress') {
      const pct = e.totalBytes ? ` ${Math.floor((100 * e.receivedBytes) / e.totalBytes)}%` : '';
      this.spinner.text = `Downloading ${e.file}${pct} (${(e.receivedBytes / 1e6).toFixed(1)} MB)`;
    } else if (e.type === 'download-done') this.spinner.text = `Downloaded ${e.file} (md5 ${e.md5})`;
    else if (e.type === 'cached') this.spinner.text = `Reading ${e.file}`;
  }

  loaded(d: DatasetRecord, seconds: number): void {
    const text = `Loaded ${d.name}: ${thousands(d.trainCount)} training and ${thousands(d.testCount)} test images from ${d.source} (${seconds.toFixed(1)} s)`;
    if (this.spinner) this.spinner.succeed(text);
    else this.notice(text);
    this.spinner = undefined;
  }

  /** Stops the spinner without a verdict (on errors). */
  close(): void {
    this.spinner?.stop();
    this.spinner = undefined;
    this.clearLive();
  }

  notice(line: string, always = false): void {
    if (this.o.quiet && !always) return;
    const spinning = this.spinner?.isSpinning === true;
    if (spinning) this.spinner?.clear();
    this.clearLive();
    this.o.note(line);
    if (spinning) this.spinner?.render();
  }

  /** Clears what a subclass draws live on stderr below the spinner (nothing here). */
  protected clearLive(): void {}
}
