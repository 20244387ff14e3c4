import { Chalk, type ChalkInstance } from 'chalk';

/** How output may look on one stream: colour, and live spinners or progress bars. */
export interface Style {
  /** ANSI colour allowed. */
  readonly color: boolean;
  /** Spinners and progress bars allowed (a real terminal with a width, not --quiet). */
  readonly live: boolean;
  readonly chalk: ChalkInstance;
}

export interface StyleFlags {
  color?: boolean; // false for --no-color
  quiet?: boolean;
}

type Stream = { isTTY?: boolean; columns?: number };

/**
 * Colour is off for --no-color, NO_COLOR (any non-empty value), TERM=dumb or a stream that is
 * not a terminal; FORCE_COLOR=1..3 turns it back on (as chalk users expect). chalk itself
 * ignores NO_COLOR, so we set its level ourselves. Live output (spinners, progress) also needs
 * columns > 0: ora loops forever on a zero-width terminal.
 */
export function detectStyle(stream: Stream, flags: StyleFlags = {}, env: NodeJS.ProcessEnv = process.env): Style {
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  const tty = stream.isTTY === true;
  const dumb = env.TERM === 'dumb';
  const color = flags.color !== false && !(env.NO_COLOR !== undefined && env.NO_COLOR !== '') && ((tty && !dumb) || forced);
  const live = tty && !dumb && (stream.columns ?? 0) > 0 && flags.quiet !== true;
  return { color, live, chalk: new Chalk({ level: color ? 1 : 0 }) };
}
