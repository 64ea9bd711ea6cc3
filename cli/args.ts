import { type ParseArgsConfig, parseArgs } from 'node:util';

/** A mistake in how the command was called: printed with the command's help, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A command that ran but did not succeed (a 401, an empty DLQ...): exit code 1. */
export class CommandFailedError extends Error {
  override readonly name = 'CommandFailedError';
}

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function integer(value: string | undefined, flag: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min)
    throw new UsageError(`--${flag} must be a whole number of at least ${min}, not "${value}"`);
  return number;
}
