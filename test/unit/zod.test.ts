import { describe, expect, it } from 'vitest';
import * as z from '../../lib/zod';

const failure = (schema: z.ZodMiniType, value: unknown) => {
  const result = schema.safeParse(value);
  if (result.success) throw new Error('expected a failure');
  return result.error;
};

describe('describeIssues', () => {
  const schema = z.object({ a: z.string(), b: z.object({ c: z.number() }) });

  it('names each path and its message, never the value', () => {
    expect(z.describeIssues(failure(schema, { a: 1, b: { c: 'secret-value' } }))).toBe(
      'a: Invalid input: expected string, received number; b.c: Invalid input: expected number, received string',
    );
  });

  it('names the whole value by `root`, joins with `separator` and keeps at most `max`', () => {
    expect(z.describeIssues(failure(schema, 'x'))).toBe(
      '(root): Invalid input: expected object, received string',
    );
    expect(z.describeIssues(failure(schema, 'x'), { root: 'the body', separator: ' ' })).toBe(
      'the body Invalid input: expected object, received string',
    );
    expect(z.describeIssues(failure(schema, { a: 1, b: { c: 'x' } }), { max: 1 })).toBe(
      'a: Invalid input: expected string, received number',
    );
  });
});
