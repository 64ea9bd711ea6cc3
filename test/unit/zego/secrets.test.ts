import { describe, expect, it } from 'vitest';
import { parseAppIds, parseSecretBook, secretsFor } from '../../../lib/zego/secrets';

const anyApp = { allowAnyApp: true };

describe('parseSecretBook', () => {
  it('uses a plain value for every appid where any appid is allowed (npm start, tests)', () => {
    const book = parseSecretBook('only-secret', anyApp);
    expect(secretsFor(book, '111111')).toEqual(['only-secret']);
    expect(secretsFor(book, '222222')).toEqual(['only-secret']);
  });

  it('refuses a plain secret with no appids where apps must be named (a deployed stage)', () => {
    expect(() => parseSecretBook('only-secret')).toThrow(/name the appids this stage serves/);
    expect(() => parseSecretBook('{"*":"any"}')).toThrow(/name the appids/);
  });

  it('serves exactly the listed appids with a plain secret', () => {
    const book = parseSecretBook('only-secret', { appIds: ['111111', '222222'] });
    expect(secretsFor(book, '111111')).toEqual(['only-secret']);
    expect(secretsFor(book, '222222')).toEqual(['only-secret']);
    expect(secretsFor(book, '333333')).toEqual([]);
  });

  it('restricts a per-appid book to the listed appids, and names a listed appid it lacks', () => {
    const book = parseSecretBook('{"111111":"a","222222":"b"}', { appIds: ['111111'] });
    expect(secretsFor(book, '222222')).toEqual([]);
    expect(() => parseSecretBook('{"111111":"a"}', { appIds: ['444444'] })).toThrow(/appid 444444/);
  });

  it('reads two comma-separated secrets for a rotation', () => {
    expect(secretsFor(parseSecretBook(' new-secret , old-secret ', anyApp), '1')).toEqual([
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

  it('reads a book that starts with whitespace (easy to paste into SSM) as a book', () => {
    const book = parseSecretBook('\n  {"111111":"a"}\n');
    expect(secretsFor(book, '111111')).toEqual(['a']);
    expect(secretsFor(book, '222222')).toEqual([]);
  });

  it('matches appids written with leading zeros as ZEGO sends them', () => {
    expect(secretsFor(parseSecretBook('{"00111111":"a"}'), '111111')).toEqual(['a']);
    expect(secretsFor(parseSecretBook('s', { appIds: parseAppIds('0042') }), '42')).toEqual(['s']);
  });

  it('falls back to "*" in a per-appid book where any appid is allowed', () => {
    expect(secretsFor(parseSecretBook('{"111111":"a","*":"any"}', anyApp), '9')).toEqual(['any']);
  });

  it.each([
    ['an empty value', ' , ', 'aaaa-never-shown'],
    ['broken JSON', '{"111111":"aaaa-never-shown"', 'aaaa-never-shown'],
    ['a secret written where an appid belongs', '{"aaaa-never-shown":"111111"}', 'aaaa-never-shown'],
    ['a key that is an appid with letters', '{"app1":"aaaa-never-shown"}', 'app1'],
    ['an empty list', '{"111111":[]}', '111111":'],
    ['a secret that is not a string', '{"111111":{"aaaa-never-shown":1}}', 'aaaa-never-shown'],
  ])('refuses %s without quoting the value or the key', (_case, spec, secretLike) => {
    expect(() => parseSecretBook(spec, anyApp)).toThrow();
    try {
      parseSecretBook(spec, anyApp);
    } catch (error) {
      expect((error as Error).message).not.toContain(secretLike);
      expect((error as Error).cause).toBeUndefined();
    }
  });
});

describe('parseAppIds', () => {
  it('reads appids separated by commas or spaces', () => {
    expect(parseAppIds(' 111111, 222222 333333 ')).toEqual(['111111', '222222', '333333']);
  });

  it('refuses a list with something that is not an appid, without quoting it', () => {
    expect(() => parseAppIds('111111,my-secret')).toThrow('appid number 2 in the list is not digits');
  });
});
