/**
 * zod for lib/: its tree-shakable API (`zod/mini`) with the English messages the classic API loads
 * by itself. Every schema in lib/ imports `* as z` from here, so the messages are configured before
 * any schema parses. Against `zod`, this keeps ~70 KB (methods on every schema, JSON Schema output)
 * out of each function bundle, which a cold start would parse before its first event (BENCHMARKS.md).
 */
import { config, type core } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';

/**
 * The one way lib/ words a zod error: each issue's path (or `root` for the whole value) and its
 * message, never the value itself (it may be long, hostile or a secret). At most `max` issues.
 */
export function describeIssues(
  error: core.$ZodError,
  { root = '(root)', separator = ': ', max = Number.POSITIVE_INFINITY } = {},
): string {
  return error.issues
    .slice(0, max)
    .map((issue) => `${issue.path.map(String).join('.') || root}${separator}${issue.message}`)
    .join('; ');
}
