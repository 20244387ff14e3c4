import type * as z from '../zod.js';
import { UsageError } from '../errors.js';

/**
 * Validates commander's raw options with a command's zod schema, at the door: nothing past
 * this point sees untyped options. A failure becomes a UsageError (exit 2) that names the
 * flag as the user typed it, e.g. `--lr must be > 0, got -1`, never a zod path.
 */
export function parseOptions<S extends z.ZodMiniType>(
  schema: S,
  raw: Record<string, unknown>,
  names: Record<string, string> = {},
): z.infer<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const key = issue.path.length > 0 ? String(issue.path[0]) : '';
  // `names` gives positional arguments their own label (`<name>`); options are `--kebab-case`.
  const flag = names[key] ?? (key === '' ? 'options' : `--${toKebab(key)}`);
  // Quote what the user typed, not what coercion made of it ("abc", not NaN).
  const input = key in raw ? raw[key] : undefined;
  const got = input !== undefined ? `, got ${formatInput(input)}` : '';
  throw new UsageError(`${flag} ${issue.message}${got}`);
}

export function toKebab(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function formatInput(v: unknown): string {
  // Plain words, numbers, paths and URLs as typed; anything with spaces or quotes in JSON quotes.
  if (typeof v === 'string') return /^[\w.+\-:/@%~=?&,]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}
