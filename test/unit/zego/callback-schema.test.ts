import { describe, expect, it } from 'vitest';
import { InvalidCallbackError } from '../../../lib/errors';
import { parseCallback } from '../../../lib/zego/callback-schema';
import { signedCallback, signedMixStart } from '../../support/callbacks';

describe('parseCallback', () => {
  it('accepts the docs mix_stop example with every field as a string', () => {
    const { callback } = parseCallback(signedCallback());
    expect(callback).toMatchObject({
      appid: '111111',
      event: 'mix_stop',
      seq: '1234',
      task_id: '111111:1111',
    });
  });

  it('normalises appid, seq and timestamp sent as numbers to decimal strings', () => {
    const { callback, signed } = parseCallback(
      signedCallback({ appid: 111111, seq: 1234, timestamp: 1689835223 }),
    );
    expect(callback).toMatchObject({ appid: '111111', seq: '1234', timestamp: '1689835223' });
    expect(signed.timestamp).toBe('1689835223');
  });

  it('canonicalises leading zeros but signs the timestamp exactly as received', () => {
    const { callback, signed } = parseCallback(
      signedCallback({ seq: '0012', appid: '00111111', timestamp: '01689835223' }),
    );
    expect(callback).toMatchObject({ seq: '12', appid: '111111', timestamp: '1689835223' });
    expect(signed.timestamp).toBe('01689835223');
    expect(parseCallback(signedCallback({ seq: '0' })).callback.seq).toBe('0');
  });

  it('reads a nonce and a task_id sent as JSON integers (2022 docs), signing the nonce’s digits', () => {
    const { callback, signed } = parseCallback(signedCallback({ nonce: 123456, task_id: 1111 }));
    expect(signed.nonce).toBe('123456');
    expect(callback).toMatchObject({ nonce: '123456', task_id: '1111' });
  });

  it('keeps a 19-digit nonce exactly', () => {
    const { signed, callback } = parseCallback(signedCallback({ nonce: '9223372036854775807' }));
    expect(signed.nonce).toBe('9223372036854775807');
    expect(callback.nonce).toBe('9223372036854775807');
  });

  it('refuses a number too large to be exact rather than guessing its digits', () => {
    expect(() => parseCallback(signedCallback({ seq: 2 ** 53 + 2 }))).toThrow(/seq/);
    expect(parseCallback(signedCallback({ seq: '9007199254740993' })).callback.seq).toBe('9007199254740993');
  });

  it('keeps unknown fields', () => {
    const { callback } = parseCallback(signedCallback({ region: 'sg', extra: { nested: true } }));
    expect(callback).toMatchObject({ region: 'sg', extra: { nested: true } });
  });

  it.each(['appid', 'event', 'seq', 'timestamp', 'nonce', 'signature'])(
    'requires %s for every event',
    (field) => {
      const fields = signedCallback({ event: 'some_new_event' });
      delete fields[field];
      expect(() => parseCallback(fields)).toThrow(new RegExp(`${field}`));
    },
  );

  it.each(['mix_start', 'mix_stop'])('requires task_id for %s', (event) => {
    const fields = signedCallback({ event });
    delete fields.task_id;
    expect(() => parseCallback(fields)).toThrow(InvalidCallbackError);
    expect(() => parseCallback(fields)).toThrow(/task_id/);
  });

  it('accepts another event type without task_id, so it is queued and not lost', () => {
    const fields = signedCallback({ event: 'mix_heartbeat' });
    delete fields.task_id;
    expect(parseCallback(fields).callback.event).toBe('mix_heartbeat');
  });

  it('reads the mix_start play URLs, as a list or a single string', () => {
    const { callback } = parseCallback(signedMixStart({ hls_urls: 'https://play.example.invalid/a.m3u8' }));
    expect(callback).toMatchObject({
      event: 'mix_start',
      rtmp_urls: ['rtmp://play.example.invalid/live/aaa'],
      hls_urls: ['https://play.example.invalid/a.m3u8'],
    });
  });

  it.each([
    ['appid with letters', { appid: '11a' }],
    ['appid with a letter first', { appid: 'x12' }],
    ['seq with a letter first', { seq: 'x1' }],
    ['seq with a letter last', { seq: '1x' }],
    ['a signature with a character before 40 hex', { signature: `x${'a'.repeat(40)}` }],
    ['a signature with a character after 40 hex', { signature: `${'a'.repeat(40)}x` }],
    ['a negative seq', { seq: -1 }],
    ['a fractional timestamp', { timestamp: 1689835223.5 }],
    ['a signature that is not SHA-1 hex', { signature: 'xyz' }],
    ['an array for seq', { seq: ['1'] }],
    ['an object for task_id', { task_id: { a: 1 } }],
    ['a 10 KB task_id', { task_id: 'x'.repeat(10_240) }],
    ['an empty nonce', { nonce: '' }],
  ])('rejects %s, naming the field', (_case, override) => {
    const [field] = Object.keys(override);
    expect(() => parseCallback(signedCallback(override))).toThrow(new RegExp(`invalid callback: ${field}`));
  });

  it('reports every problem at once, in words', () => {
    const fields = signedCallback({ timestamp: '1689835223000' });
    delete fields.task_id;
    delete fields.nonce;
    expect(() => parseCallback(fields)).toThrow(
      'invalid callback: timestamp must be a Unix time in seconds (ten digits, e.g. 1689835223); nonce is required; task_id is required',
    );
  });

  it.each([
    ['milliseconds', '1689835223000'],
    ['a 19-digit nonce in its place', '7257787020413449571'],
    ['a time before 2001', '999999999'],
    ['zero', '0'],
  ])('refuses a timestamp that is not plausible Unix seconds: %s', (_case, timestamp) => {
    expect(() => parseCallback(signedCallback({ timestamp }))).toThrow(
      /timestamp must be a Unix time in seconds/,
    );
  });

  it.each(['mix stop', 'mix:stop', '', 'x'.repeat(65)])('refuses the event name "%s"', (event) => {
    expect(() => parseCallback(signedCallback({ event }))).toThrow(/event must be an event name/);
  });

  it('takes a task_id on any event, so it joins its task', () => {
    expect(parseCallback(signedCallback({ event: 'mix_update', task_id: 't-1' })).callback.task_id).toBe(
      't-1',
    );
    expect(() => parseCallback(signedCallback({ event: 'mix_update', task_id: { a: 1 } }))).toThrow(
      /task_id/,
    );
  });

  it('says "is required" only for a missing field, and what is wrong with a present one', () => {
    expect(() => parseCallback(signedCallback({ seq: ['1'] }))).toThrow(
      'invalid callback: seq must be a whole number of at most 20 digits, as a string or a JSON integer',
    );
  });

  it.each([
    ['channel_id', { channel_id: { a: 1 } }, 'must be a string of at most 2048 characters'],
    [
      'rtmp_urls',
      { rtmp_urls: ['ok', 7] },
      'must be a list of at most 64 URLs of at most 2048 characters, or one URL',
    ],
    ['nonce', { nonce: { a: 1 } }, 'must be a non-empty string of at most 128 characters, or a whole number'],
    ['event', { event: 5 }, 'must be a string'],
    ['signature', { signature: 5 }, 'must be a string'],
    ['signature', { signature: 'abc' }, 'must be 40 hexadecimal characters (a SHA-1 in hex)'],
  ])('says what is wrong with %s', (field, override, says) => {
    expect(() => parseCallback(signedMixStart(override))).toThrow(`invalid callback: ${field} ${says}`);
  });

  it('takes timestamps up to 9999999999 (the year 2286)', () => {
    expect(parseCallback(signedCallback({ timestamp: '9999999999' })).callback.timestamp).toBe('9999999999');
    expect(() => parseCallback(signedCallback({ timestamp: '10000000000' }))).toThrow(/timestamp/);
  });

  it('names at most eight problems, and keeps zod’s error as the cause', () => {
    const fields = signedMixStart();
    for (const field of [
      'appid',
      'seq',
      'timestamp',
      'nonce',
      'signature',
      'task_id',
      'channel_id',
      'mix_url',
      'hls_urls',
    ]) {
      fields[field] = { wrong: true };
    }
    const error = (() => {
      try {
        parseCallback(fields);
      } catch (thrown) {
        return thrown as Error;
      }
    })();
    expect(error?.message.split('; ')).toHaveLength(8);
    expect(error?.message).not.toContain('hls_urls');
    expect(error?.cause).toBeInstanceOf(Error);
  });
});
