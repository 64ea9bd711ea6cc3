import { describe, expect, it } from 'vitest';
import { BodyTooLargeError, MalformedBodyError } from '../../../lib/errors';
import { decodeBody, MAX_BODY_BYTES } from '../../../lib/zego/decode-body';
import { encode, signedCallback, signedMixStart } from '../../support/callbacks';

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

  it('decodes percent-encoded strings inside the play URL lists', () => {
    const body = encode.json(signedMixStart({ rtmp_urls: ['rtmp%3A%2F%2Fplay.example.invalid%2Fa'] }));
    expect(decodeBody({ body }).rtmp_urls).toEqual(['rtmp://play.example.invalid/a']);
  });

  it('keeps a literal "%" that is not an escape', () => {
    const body = encode.json(signedCallback({ channel_id: '100%', publish_id: '%E0%A4%A' }));
    expect(decodeBody({ body })).toMatchObject({ channel_id: '100%', publish_id: '%E0%A4%A' });
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
    ['an empty body', ''],
    ['only whitespace', '  \n'],
    ['a JSON array', '[1,2]'],
    ['a JSON string', '"appid"'],
    ['broken JSON', '{"appid":'],
    ['JSON with conflicting duplicate keys', '{"seq":"1","seq":"2"}'],
    ['invalid percent-encoding in JSON', '%7B%22a%22%3A%ZZ%7D'],
    ['invalid percent-encoding in a form', 'appid=%E0%A4%A'],
    ['plain text', 'hello world'],
  ])('rejects %s as malformed', (_case, body) => {
    expect(() => decodeBody({ body })).toThrow(MalformedBodyError);
  });

  it('rejects a missing body as malformed', () => {
    expect(() => decodeBody({ body: undefined })).toThrow(MalformedBodyError);
    // What a JSON null in a test event or a proxy gives.
    expect(() => decodeBody({ body: null as unknown as string })).toThrow(MalformedBodyError);
  });

  it('rejects base64 that is not base64', () => {
    expect(() => decodeBody({ body: '{not base64}', isBase64Encoded: true })).toThrow(MalformedBodyError);
  });

  it('rejects absurd nesting as malformed, not with a crash', () => {
    const body = `{"a":${'['.repeat(30_000)}${']'.repeat(30_000)}}`;
    expect(() => decodeBody({ body })).toThrow(MalformedBodyError);
  });

  it('rejects a body over the cap, counted after base64 decoding', () => {
    const big = `{"pad":"${'x'.repeat(MAX_BODY_BYTES)}"}`;
    expect(() => decodeBody({ body: big })).toThrow(BodyTooLargeError);
    expect(() => decodeBody({ body: Buffer.from(big).toString('base64'), isBase64Encoded: true })).toThrow(
      BodyTooLargeError,
    );
    const fits = `{"pad":"${'x'.repeat(MAX_BODY_BYTES - 20)}"}`;
    expect(
      decodeBody({ body: Buffer.from(fits).toString('base64'), isBase64Encoded: true }).pad,
    ).toHaveLength(MAX_BODY_BYTES - 20);
  });
});
