import { describe, expect, it } from 'vitest';
import { parseSecretBook, secretsFor } from '../../../lib/zego/secrets';

describe('parseSecretBook', () => {
  it('uses a plain value for every appid', () => {
    const book = parseSecretBook('only-secret');
    expect(secretsFor(book, '111111')).toEqual(['only-secret']);
    expect(secretsFor(book, '222222')).toEqual(['only-secret']);
  });

  it('reads two comma-separated secrets for a rotation', () => {
    expect(secretsFor(parseSecretBook(' new-secret , old-secret '), '1')).toEqual([
      'new-secret',
      'old-secret',
    ]);
  });

  it('reads secrets per appid and has none for an appid not listed', () => {
    const book = parseSecretBook('{"111111":"a","222222":["b","c"]}');
    expect(secretsFor(book, '111111')).toEqual(['a']);
    expect(secretsFor(book, '222222')).toEqual(['b', 'c']);
    expect(secretsFor(book, '333333')).toEqual([]);
  });

  it('falls back to "*" in a per-appid book', () => {
    expect(secretsFor(parseSecretBook('{"111111":"a","*":"any"}'), '9')).toEqual(['any']);
  });

  it.each([
    ['an empty value', ' , '],
    ['broken JSON', '{"111111":'],
    ['a key that is not an appid', '{"app":"a"}'],
    ['an empty list', '{"111111":[]}'],
  ])('refuses %s without quoting the value', (_case, spec) => {
    let message = '';
    try {
      parseSecretBook(spec);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toBe('');
    expect(message).not.toContain('"a"');
  });
});
