// Shared pieces of the command line: usage errors, flag parsing, and number flags with checks.
// Wrong usage exits 2 with the command's usage; failures exit 1 with one clear line.

import { parseArgs, type ParseArgsConfig } from 'node:util';

/** The user typed the command wrong: print the message and the usage, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly exitCode = 2;
}

/** Something failed that the user can fix (a bad model file, say): one line, exit 1. */
export class CommandError extends Error {
  override name = 'CommandError';
  readonly exitCode = 1;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  run(args: string[]): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs in strict mode, with its errors turned into UsageErrors that read well. */
export function parseFlags<O extends Options>(args: string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(message);
  }
}

export function numberFlag(
  value: string | undefined,
  flag: string,
  fallback: number,
  check: { min?: number; max?: number; integer?: boolean } = {},
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  const { min = -Infinity, max = Infinity, integer = false } = check;
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    const kind = integer ? 'a whole number' : 'a number';
    const range = Number.isFinite(min) && Number.isFinite(max) ? ` from ${min} to ${max}` : Number.isFinite(min) ? ` ≥ ${min}` : '';
    throw new UsageError(`${flag} must be ${kind}${range}, got "${value}"`);
  }
  return n;
}

/** Joins positionals into one prompt; an explicit empty string is allowed only if `allowEmpty`. */
export function promptFrom(positionals: string[], what = 'PROMPT'): string {
  if (positionals.length === 0) throw new UsageError(`missing ${what}`);
  return positionals.join(' ');
}
