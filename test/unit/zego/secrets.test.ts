import { describe, expect, it } from 'vitest';
import { parseAppIds, parseSecretBook, secretsFor } from '../../../lib/zego/secrets';
import { thrownBy } from '../../support/thrown';

const anyApp = { allowAnyApp: true };

describe('parseSecretBook', () => {
  it('uses a plain value for every appid where any appid is allowed (npm start, tests)', () => {
    const book = parseSecretBook('only-secret', anyApp);
    expect(secretsFor(book, '111111')).toEqual(['only-secret']);
    expect(secretsFor(book, '222222')).toEqual(['only-secret']);
  });

  it('refuses a plain secret with no appids where apps must be named (a deployed stage)', () => {
    expect(() => parseSecretBook('only-secret')).toThrow(
      'a plain secret (or a "*" entry) would serve any appid: name the appids this stage serves ' +
        '(stage parameter appIds, variable ZEGO_APP_IDS), or write a per-appid JSON book',
    );
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

  it('refuses a key with anything but digits around an appid', () => {
    for (const key of ['app1', '1app', '11 11']) {
      expect(() => parseSecretBook(`{"${key}":"a"}`, anyApp)).toThrow(/not an appid/);
    }
  });

  it('keeps zeros that are not leading in an appid', () => {
    expect(secretsFor(parseSecretBook('{"100":"a"}'), '100')).toEqual(['a']);
    expect(secretsFor(parseSecretBook('{"100":"a"}'), '10')).toEqual([]);
  });

  it.each([
    ['an empty value', ' , ', /^the secret holds no secret$/, 'aaaa-never-shown'],
    [
      'broken JSON',
      '{"111111":"aaaa-never-shown"',
      /starts with "\{" but is not valid JSON/,
      'aaaa-never-shown',
    ],
    ['an empty book', '{}', /the per-appid secret book is empty/, '{}'],
    [
      'a secret written where an appid belongs',
      '{"111111":"a","aaaa-never-shown":"111111"}',
      /^entry 2 of the per-appid secret book has a key that is not an appid/,
      'aaaa-never-shown',
    ],
    ['a key that is an appid with letters', '{"app1":"aaaa-never-shown"}', /entry 1 .* not an appid/, 'app1'],
    ['an empty list', '{"111111":[]}', /^entry 1 of the per-appid secret book holds no secret$/, '111111":'],
    [
      'a secret that is not a string',
      '{"111111":{"aaaa-never-shown":1}}',
      /^entry 1 of the per-appid secret book must hold a secret or a list of secrets/,
      'aaaa-never-shown',
    ],
    [
      'a list with something that is not a string',
      '{"111111":["a",{"aaaa-never-shown":1}]}',
      /^entry 1 of the per-appid secret book must hold a secret or a list of secrets/,
      'aaaa-never-shown',
    ],
  ])(
    'refuses %s, saying what is wrong without quoting the value or the key',
    (_case, spec, says, secretLike) => {
      const error = thrownBy(() => parseSecretBook(spec, anyApp));
      expect(error.message).toMatch(says);
      expect(error.message).not.toContain(secretLike);
      expect(error.cause).toBeUndefined();
    },
  );
});

describe('parseAppIds', () => {
  it('reads appids separated by commas or spaces', () => {
    expect(parseAppIds(' 111111, 222222 333333 ')).toEqual(['111111', '222222', '333333']);
  });

  it('refuses a list with something that is not an appid, without quoting it', () => {
    expect(() => parseAppIds('111111,my-secret')).toThrow('appid number 2 in the list is not digits');
  });
});
