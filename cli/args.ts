import { type ParseArgsConfig, parseArgs } from 'node:util';
import { parseArgsProblem } from '../tools/local-stack/command-line';

/** A mistake in how the command was called: printed with a pointer to its --help, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A command that ran but did not succeed (a 401, an empty DLQ...): exit code 1. */
export class CommandFailedError extends Error {
  override readonly name = 'CommandFailedError';
}

export type Options = NonNullable<ParseArgsConfig['options']>;

export function parse<T extends Options>(args: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(parseArgsProblem(error as Error));
  }
}

export function integer(value: string | undefined, flag: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min)
    throw new UsageError(`--${flag} must be a whole number of at least ${min}, not "${value}"`);
  return number;
}
