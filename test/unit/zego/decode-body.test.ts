import { describe, expect, it } from 'vitest';
import { BodyTooLargeError, MalformedBodyError } from '../../../lib/errors';
import {
  decodeBody,
  MAX_BODY_BYTES,
  MAX_FIELDS,
  MAX_LIST_ITEMS,
  MAX_NAME_LENGTH,
} from '../../../lib/zego/decode-body';
import { encode, signedCallback, signedMixStart } from '../../support/callbacks';
import { thrownBy } from '../../support/thrown';

const callback = signedCallback();

describe('decodeBody', () => {
  it.each([
    ['a JSON object', encode.json(callback)],
    ['percent-encoded JSON', encode.percentJson(callback)],
    ['a url-encoded form', encode.form(callback)],
  ])('reads %s', (_form, body) => {
    expect(decodeBody({ body })).toEqual(callback);
  });

  it.each([
    ['a JSON object', encode.json(callback)],
    ['percent-encoded JSON', encode.percentJson(callback)],
    ['a url-encoded form', encode.form(callback)],
  ])('reads %s wrapped in base64 by API Gateway', (_form, body) => {
    expect(decodeBody({ body: Buffer.from(body).toString('base64'), isBase64Encoded: true })).toEqual(
      callback,
    );
  });

  it('reads percent-encoded JSON whose spaces were encoded as "+"', () => {
    const fields = signedCallback({ channel_id: 'room one' });
    const body = encode.percentJson(fields).replaceAll('%20', '+');
    expect(decodeBody({ body }).channel_id).toBe('room one');
  });

  it('decodes string values that are themselves percent-encoded, once', () => {
    const body = encode.json(
      signedCallback({ mix_url: 'rtmp%3A%2F%2Frtmp.example.invalid%2Flive%2Fa%2520b', channel_id: '2222' }),
    );
    const fields = decodeBody({ body });
    expect(fields.mix_url).toBe('rtmp://rtmp.example.invalid/live/a%20b');
    expect(fields.channel_id).toBe('2222');
  });

  it('decodes a form once: an escaped "%" stays a "%"', () => {
    const fields = decodeBody({ body: 'task_id=abc%2541&mix_url=rtmp%253A%252F%252Fa&channel_id=100%25' });
    expect(fields).toEqual({ task_id: 'abc%41', mix_url: 'rtmp%3A%2F%2Fa', channel_id: '100%' });
  });

  it.each([
    ['a JSON object', (fields: Record<string, unknown>) => encode.json(fields)],
    ['a url-encoded form', (fields: Record<string, unknown>) => encode.form(fields)],
    ['percent-encoded JSON', (fields: Record<string, unknown>) => encode.percentJson(fields)],
  ])('keeps a task_id holding escapes exactly as ZEGO sent it, in %s', (_form, encodeBody) => {
    for (const taskId of ['111111:abc%41', '111111:%2541', '111111:100%', '111111:caf%C3%A9 %E0']) {
      expect(decodeBody({ body: encodeBody(signedCallback({ task_id: taskId })) }).task_id).toBe(taskId);
    }
  });

  it('decodes percent-encoded strings inside the play URL lists', () => {
    const body = encode.json(signedMixStart({ rtmp_urls: ['rtmp%3A%2F%2Fplay.example.invalid%2Fa'] }));
    expect(decodeBody({ body }).rtmp_urls).toEqual(['rtmp://play.example.invalid/a']);
  });

  it('keeps a literal "%" that is not an escape, and escapes that are not UTF-8', () => {
    const body = encode.json(signedCallback({ channel_id: '100%', publish_id: '%E0%A4%A' }));
    expect(decodeBody({ body })).toMatchObject({ channel_id: '100%', publish_id: '%E0%A4%A' });
  });

  it('decodes the escapes of a JSON value that also holds a literal "%"', () => {
    const body = encode.json(signedCallback({ channel_id: '50% off %41', publish_id: '%FF then %C3%A9' }));
    expect(decodeBody({ body })).toMatchObject({ channel_id: '50% off A', publish_id: '%FF then é' });
  });

  it('keeps a 19-digit nonce sent as a JSON number exact', () => {
    const body = '{"appid":111111,"event":"mix_stop","nonce":7257787020413449571,"seq":1234}';
    const fields = decodeBody({ body });
    expect(fields.nonce).toBe('7257787020413449571');
    expect(fields.appid).toBe(111111);
    expect(fields.seq).toBe(1234);
  });

  it('collects repeated form keys and "[]" keys into arrays', () => {
    const fields = decodeBody({ body: encode.form(signedMixStart({ hls_urls: ['a', 'b'] })) });
    expect(fields.hls_urls).toEqual(['a', 'b']);
    expect(fields.rtmp_urls).toEqual(['rtmp://play.example.invalid/live/aaa']);
    expect(decodeBody({ body: 'a=1&a=2&b=3' })).toEqual({ a: ['1', '2'], b: '3' });
  });

  it('reads "+" in a form as a space, in keys and values', () => {
    expect(decodeBody({ body: 'channel_id=room+one&a+b=c' })).toEqual({ channel_id: 'room one', 'a b': 'c' });
  });

  it('reads a body with whitespace around it (JSON, base64 with a line break)', () => {
    const json = encode.json(callback);
    expect(decodeBody({ body: `\n  ${json}\n` })).toEqual(callback);
    const wrapped = `${Buffer.from(json).toString('base64')}\n`;
    expect(decodeBody({ body: wrapped, isBase64Encoded: true })).toEqual(callback);
  });

  it('reads a form pair with no "=" as an empty value, and skips empty pairs', () => {
    expect(decodeBody({ body: 'a=1&&flag&b=2&' })).toEqual({ a: '1', flag: '', b: '2' });
  });

  it('reads one "key[]" (or "key%5B%5D") as a list of one, and keeps "[]" inside a key', () => {
    expect(decodeBody({ body: 'hls_urls[]=a&rtmp_urls%5B%5D=b&x[]y=c' })).toEqual({
      hls_urls: ['a'],
      rtmp_urls: ['b'],
      'x[]y': 'c',
    });
  });

  it('keeps fractions and huge exponents as numbers; only integers past 2^53 become digits', () => {
    const fields = decodeBody({ body: '{"f":1.12345678901234567890,"e":1e400,"i":12345678901234567890}' });
    expect(fields).toEqual({ f: 1.1234567890123457, e: Number.POSITIVE_INFINITY, i: '12345678901234567890' });
  });

  it.each([
    ['a top-level value', '{"channel_id":"\\ud800x"}', /^channel_id holds a lone surrogate/],
    ['a value in a list', '{"extra":["ok","\\udc00"]}', /^extra\[1\] holds a lone surrogate/],
    ['a value in an object', '{"extra":{"inner":"\\ud800"}}', /^extra holds a lone surrogate/],
    ['a value under a name unfit to quote', '{"a b":"\\ud800"}', /^a field holds a lone surrogate/],
    ['a list in a list', '{"extra":[["ok"],["ok","\\ud800"]]}', /^extra\[1\]\[1\] holds a lone surrogate/],
    ['a list in an object', '{"extra":{"inner":["\\ud800"]}}', /^extra\[0\] holds a lone surrogate/],
    ['a field name', '{"\\ud800":"x"}', /^a field has a name with a lone surrogate/],
    ['a name inside an object', '{"extra":{"\\ud800":"x"}}', /^extra has a name with a lone surrogate/],
  ])('refuses a lone surrogate in %s, saying where', (_case, body, says) => {
    expect(() => decodeBody({ body })).toThrow(says);
  });

  it('keeps unknown fields', () => {
    expect(decodeBody({ body: encode.json({ ...callback, new_field: 'x' }) }).new_field).toBe('x');
  });

  it('keeps a "__proto__" key as data, never as the prototype', () => {
    for (const body of ['{"__proto__":{"polluted":1},"a":"b"}', '__proto__=x&a=b']) {
      const fields = decodeBody({ body });
      expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
      expect(Object.hasOwn(fields, '__proto__')).toBe(true);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    }
  });

  it.each([
    ['an empty body', '', /^the body is empty$/],
    ['only whitespace', '  \n', /^the body is empty$/],
    ['a JSON array', '[1,2]', /^the body is neither JSON, percent-encoded JSON nor a url-encoded form$/],
    ['a JSON string', '"appid"', /neither JSON/],
    ['broken JSON', '{"appid":"1",,"b":2}', /^the body is not valid JSON \(at character 13\)$/],
    ['JSON giving a name twice', '{"seq":"1","seq":"2"}', /^the JSON body gives a name twice in one object$/],
    [
      'JSON giving a name twice, the same value',
      '{"a":[{"b":1,"b":1}]}',
      /^the JSON body gives a name twice/,
    ],
    [
      'JSON giving a name twice, once escaped',
      '{"seq":"1","\\u0073eq":"1"}',
      /^the JSON body gives a name twice/,
    ],
    [
      'invalid percent-encoding in JSON',
      '%7B%22a%22%3A%ZZ%7D',
      /^the percent-encoded JSON body has invalid percent-encoding$/,
    ],
    [
      'invalid percent-encoding in a form value',
      'appid=%E0%A4%A',
      /^the form value of "appid" has invalid percent-encoding$/,
    ],
    ['invalid percent-encoding in a form key', '%ZZ=1', /^a form key has invalid percent-encoding$/],
    ['plain text', 'hello world', /neither JSON/],
    ['a form with no name before its first "="', '=x&appid=1', /neither JSON/],
  ])('rejects %s as malformed, saying why', (_case, body, says) => {
    const error = thrownBy(() => decodeBody({ body }));
    expect(error).toBeInstanceOf(MalformedBodyError);
    expect(error.message).toMatch(says);
  });

  it('keeps the parser’s error as the cause, not in the message', () => {
    const error = thrownBy(() => decodeBody({ body: '{"appid":"secret' }));
    expect(error.cause).toBeInstanceOf(SyntaxError);
    expect(error.message).not.toContain('secret');
  });

  it('rejects a missing body as malformed', () => {
    expect(() => decodeBody({ body: undefined })).toThrow('the body is empty');
    // What a JSON null in a test event or a proxy gives.
    expect(() => decodeBody({ body: null as unknown as string })).toThrow('the body is empty');
  });

  it('rejects base64 that is not base64, even where the valid part would decode', () => {
    const valid = Buffer.from(encode.json(callback)).toString('base64');
    for (const body of ['{not base64}', `${valid.slice(0, 8)}!${valid.slice(8)}`, `!${valid}`, `${valid}!`]) {
      expect(() => decodeBody({ body, isBase64Encoded: true })).toThrow(
        /^the body is marked base64 but is not valid base64$/,
      );
    }
  });

  it('rejects absurd nesting as malformed, not with a crash', () => {
    const body = `{"a":${'['.repeat(15_000)}${']'.repeat(15_000)}}`;
    expect(() => decodeBody({ body })).toThrow(MalformedBodyError);
  });

  it.each([
    ['lists', (levels: number) => `{"a":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`],
    ['objects', (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`],
  ])('counts nested %s to 32 levels, and refuses the 33rd', (_case, nest) => {
    expect(() => decodeBody({ body: nest(32) })).not.toThrow();
    expect(() => decodeBody({ body: nest(33) })).toThrow(/^the JSON body nests deeper than 32 levels$/);
  });

  it('counts depth, not brackets: many siblings and brackets inside strings are fine', () => {
    const siblings = `{"lists":[${Array(20).fill('[]').join(',')}],"objects":[${Array(20).fill('{}').join(',')}]}`;
    expect(() => decodeBody({ body: siblings })).not.toThrow();
    const quoted = `{"a":"${'['.repeat(40)}","b":"\\"${'{'.repeat(40)}"}`;
    expect(decodeBody({ body: quoted })).toEqual({ a: '['.repeat(40), b: `"${'{'.repeat(40)}` });
  });

  it('takes a body of exactly the cap', () => {
    const exact = `{"pad":"${'x'.repeat(MAX_BODY_BYTES - 10)}"}`;
    expect(Buffer.byteLength(exact)).toBe(MAX_BODY_BYTES);
    expect(decodeBody({ body: exact }).pad).toHaveLength(MAX_BODY_BYTES - 10);
  });

  it('rejects a body over the cap, counted after base64 decoding', () => {
    const big = `{"pad":"${'x'.repeat(MAX_BODY_BYTES)}"}`;
    expect(() => decodeBody({ body: big })).toThrow(BodyTooLargeError);
    expect(() => decodeBody({ body: big })).toThrow(
      `the body is ${MAX_BODY_BYTES + 10} bytes; at most ${MAX_BODY_BYTES} are accepted`,
    );
    expect(() => decodeBody({ body: Buffer.from(big).toString('base64'), isBase64Encoded: true })).toThrow(
      BodyTooLargeError,
    );
    const fits = `{"pad":"${'x'.repeat(MAX_BODY_BYTES - 20)}"}`;
    expect(
      decodeBody({ body: Buffer.from(fits).toString('base64'), isBase64Encoded: true }).pad,
    ).toHaveLength(MAX_BODY_BYTES - 20);
  });
});

/**
 * The largest callback ZEGO's docs allow (docs/endpoint-and-data.md, "Limits"): a mix_start with
 * every id and URL at 255 bytes, a 1,024-byte task id, and three URLs in each play list (the docs'
 * example has one).
 */
function largestGenuineCallback() {
  const url = (n: number) => `rtmp://play${n}.example.invalid/live/${'u'.repeat(255)}`.slice(0, 255);
  const id = (c: string) => c.repeat(255);
  return signedMixStart({
    appid: '4294967295',
    seq: '18446744073709551615',
    task_id: `4294967295:${'t'.repeat(1024 - 11)}`,
    channel_id: id('c'),
    publish_id: id('p'),
    mix_url: url(0),
    mix_stream_alias: id('a'),
    stream_alias: id('s'),
    rtmp_urls: [url(1), url(2), url(3)],
    hls_urls: [url(4), url(5), url(6)],
    hdl_urls: [url(7), url(8), url(9)],
    rtmp_url: url(10),
    hls_url: url(11),
    hdl_url: url(12),
  });
}

const jsonOfNames = (count: number, value = '0') =>
  `{${Array.from({ length: count }, (_, i) => `"n${i}":${value}`).join(',')}}`;
const jsonList = (count: number) => `[${Array(count).fill('"x"').join(',')}]`;

describe('decodeBody limits', () => {
  it.each([
    ['a JSON object', encode.json],
    ['a url-encoded form', encode.form],
    ['percent-encoded JSON', encode.percentJson],
  ])(
    'takes the largest callback the docs allow as %s, with four times its size to spare',
    (_form, encodeBody) => {
      const fields = largestGenuineCallback();
      const body = encodeBody(fields);
      expect(Buffer.byteLength(body) * 4).toBeLessThanOrEqual(MAX_BODY_BYTES);
      expect(decodeBody({ body })).toEqual(fields);
      expect(decodeBody({ body: Buffer.from(body).toString('base64'), isBase64Encoded: true })).toEqual(
        fields,
      );
    },
  );

  it('takes as many fields as the limit, names and list items, at every level', () => {
    const half = MAX_LIST_ITEMS - 1;
    const bodies = [
      jsonOfNames(MAX_FIELDS),
      `{"a":${jsonList(half)},"b":${jsonList(MAX_FIELDS - 2 - half)}}`,
      `{"a":${jsonOfNames(MAX_FIELDS - 2)},"b":1}`,
      Array.from({ length: MAX_FIELDS }, (_, i) => `n${i}=1`).join('&'),
    ];
    for (const body of bodies) expect(() => decodeBody({ body })).not.toThrow();
  });

  it.each([
    ['JSON names', jsonOfNames(MAX_FIELDS + 1)],
    [
      'JSON names and list items',
      `{"a":${jsonList(MAX_LIST_ITEMS - 1)},"b":${jsonList(MAX_FIELDS - MAX_LIST_ITEMS)}}`,
    ],
    ['JSON names in a nested object', `{"a":${jsonOfNames(MAX_FIELDS - 1)},"b":1}`],
    [
      'JSON lists of objects',
      `{"a":[${Array(MAX_LIST_ITEMS).fill('{"b":1}').join(',')}],"c":${jsonList(MAX_LIST_ITEMS)}}`,
    ],
    ['form pairs', Array.from({ length: MAX_FIELDS + 1 }, (_, i) => `n${i}=1`).join('&')],
    ['form pairs, empty ones too', `a=1${'&'.repeat(MAX_FIELDS)}`],
  ])('refuses more fields than the limit: %s', (_case, body) => {
    const error = thrownBy(() => decodeBody({ body }));
    expect(error).toBeInstanceOf(MalformedBodyError);
    expect(error.message).toBe(`the body holds more than ${MAX_FIELDS} fields (names and list items)`);
  });

  it('takes a list as long as the limit, and refuses a longer one, in JSON and in a form', () => {
    const repeated = (count: number, name: string) => Array(count).fill(`${name}=v`).join('&');
    expect(decodeBody({ body: `{"a":${jsonList(MAX_LIST_ITEMS)}}` }).a).toHaveLength(MAX_LIST_ITEMS);
    expect(decodeBody({ body: repeated(MAX_LIST_ITEMS, 'x') }).x).toHaveLength(MAX_LIST_ITEMS);
    expect(decodeBody({ body: repeated(MAX_LIST_ITEMS, 'x[]') }).x).toHaveLength(MAX_LIST_ITEMS);
    expect(() => decodeBody({ body: `{"a":${jsonList(MAX_LIST_ITEMS + 1)}}` })).toThrow(
      `a JSON list in the body holds more than ${MAX_LIST_ITEMS} items`,
    );
    expect(() => decodeBody({ body: `{"a":[${jsonList(MAX_LIST_ITEMS + 1)}]}` })).toThrow(/holds more than/);
    expect(() => decodeBody({ body: repeated(MAX_LIST_ITEMS + 1, 'x') })).toThrow(
      `the form gives "x" more than ${MAX_LIST_ITEMS} times`,
    );
    expect(() => decodeBody({ body: `x=1&${repeated(MAX_LIST_ITEMS, 'x[]')}` })).toThrow(
      /gives "x" more than/,
    );
    expect(() => decodeBody({ body: repeated(MAX_LIST_ITEMS + 1, 'a+b') })).toThrow(
      `the form gives a field more than ${MAX_LIST_ITEMS} times`,
    );
  });

  it('takes a name as long as the limit, and refuses a longer one, as written', () => {
    const name = 'n'.repeat(MAX_NAME_LENGTH);
    expect(decodeBody({ body: `{"${name}":1}` })[name]).toBe(1);
    expect(decodeBody({ body: `${name}=1` })[name]).toBe('1');
    const tooLong = `a name in the body is longer than ${MAX_NAME_LENGTH} characters`;
    for (const body of [
      `{"${name}x":1}`,
      `{"a":{"${name}x":1}}`,
      `{"a":[{"${name}x":1}]}`,
      `{"${'\\u006e'.repeat(11)}":1}`,
      `${name}x=1`,
      `${'%6E'.repeat(22)}=1`,
    ]) {
      expect(() => decodeBody({ body })).toThrow(tooLong);
    }
  });

  it('keeps every digit of whole numbers a double would round, at any level, and only those', () => {
    const body =
      '{"a":9007199254740991,"b":9007199254740992,"c":-9007199254740993,"d":[1,[12345678901234567890]],' +
      '"e":{"f":123456789012345678901234567890},"g":1234567890123456.5,"h":1e400,"i":0,"j":-0}';
    expect(decodeBody({ body })).toEqual({
      a: 9007199254740991,
      b: '9007199254740992',
      c: '-9007199254740993',
      d: [1, ['12345678901234567890']],
      e: { f: '123456789012345678901234567890' },
      g: 1234567890123456.5,
      h: Number.POSITIVE_INFINITY,
      i: 0,
      j: -0,
    });
  });

  it.each([
    ['a leading zero', '{"a":012345678901234567890}'],
    ['a number where a name belongs', '{12345678901234567890:1}'],
    ['a number after a value', '{"a":1 12345678901234567890}'],
    ['text after the object', '{"a":12345678901234567890} x'],
  ])('never makes invalid JSON valid by keeping digits: %s', (_case, body) => {
    expect(() => decodeBody({ body })).toThrow(/^the body is not valid JSON/);
  });

  it('says where JSON breaks, when the place is one in the body', () => {
    expect(() => decodeBody({ body: '{"a":1 x}' })).toThrow(
      /^the body is not valid JSON \(at character 7\)$/,
    );
    expect(() => decodeBody({ body: '{"a":"b"' })).toThrow(/^the body is not valid JSON/);
    expect(() => decodeBody({ body: '{"a":"\\x"}' })).toThrow(/^the body is not valid JSON/);
    // A kept large integer moved what follows: no place is given rather than a wrong one.
    expect(() => decodeBody({ body: '{"n":12345678901234567890,"e":{"a":"\n"}}' })).toThrow(
      /^the body is not valid JSON$/,
    );
  });

  it('reads strings with escaped quotes and backslashes, and JSON escapes before percent-decoding', () => {
    const body = '{"a":"x\\"y","b":"\\\\","c":"\\u002541","d":["\\"%41"],"e":{"f":"%41"}}';
    expect(decodeBody({ body })).toEqual({ a: 'x"y', b: '\\', c: 'A', d: ['"A'], e: { f: '%41' } });
  });

  it('decodes a value with escapes that are not UTF-8 run by run, and the others of its body as usual', () => {
    const body = encode.json(
      signedCallback({ channel_id: '%FF%41 then %41', publish_id: 'p%41', extra: ['%42'] }),
    );
    expect(decodeBody({ body })).toMatchObject({
      channel_id: '%FF%41 then A',
      publish_id: 'pA',
      extra: ['B'],
    });
  });
});
