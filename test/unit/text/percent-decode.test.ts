import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { percentDecoded, percentDecodedEach, percentDecodedStrictly } from '../../../lib/text/percent-decode';

const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 300);
/** Room for `npm run test:nightly`'s 10,000 cases on a busy machine. */
const TIMEOUT_MS = 300_000;

/** The rules as decodeURIComponent states them, exceptions and all: what the decoder must equal. */
const reference = {
  strict(text: string): string | undefined {
    try {
      return decodeURIComponent(text);
    } catch {
      return undefined;
    }
  },
  lenient(text: string): string {
    return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => reference.strict(run) ?? run);
  },
};

const escaped = (byte: number) => `%${byte.toString(16).padStart(2, '0')}`;
/** Text made of what percent-decoding turns on: escapes of any byte, in either case, and near misses. */
const percentText = fc
  .array(
    fc.oneof(
      fc.integer({ min: 0, max: 255 }).map(escaped),
      fc.integer({ min: 0, max: 255 }).map((byte) => escaped(byte).toUpperCase()),
      // UTF-8 of any code point, lone surrogates included (CESU-style, which decoding refuses).
      fc
        .integer({ min: 0, max: 0x10ffff })
        .map((code) => [...Buffer.from(String.fromCodePoint(code))].map(escaped).join('')),
      fc
        .integer({ min: 0xd800, max: 0xdfff })
        .map((code) => `%ED${escaped(0x80 | ((code >> 6) & 0x3f))}${escaped(0x80 | (code & 0x3f))}`),
      fc.constantFrom('%', '%4', '%g1', '%%', '+', 'a', 'é', '🎥', '\ud800', '\udc00'),
      fc.string({ maxLength: 20 }),
      fc.string({ unit: 'binary', maxLength: 3 }),
    ),
    { maxLength: 12 },
  )
  .map((pieces) => pieces.join(''));

describe('percentDecodedStrictly', () => {
  it.each([
    ['p%41', 'pA'],
    ['caf%C3%A9', 'café'],
    ['%F0%9F%8E%A5 live', '🎥 live'],
    ['%2541', '%41'],
    ['a+b', 'a+b'],
    ['no escapes', 'no escapes'],
    [`${'x'.repeat(40)}%41${'y'.repeat(40)}`, `${'x'.repeat(40)}A${'y'.repeat(40)}`],
    ['lone \ud800 surrogate %41 kept', 'lone \ud800 surrogate A kept'],
    [`${'\ud800'.repeat(20)}%41`, `${'\ud800'.repeat(20)}A`],
  ])('reads %s as %s', (text, decoded) => {
    expect(percentDecodedStrictly(text)).toBe(decoded);
  });

  it.each([
    ['a stray "%"', '100%'],
    ['a "%" and one hex digit', '%4'],
    ['a "%" and no hex digits', '%zz'],
    ['a lone continuation byte', '%80'],
    ['a sequence cut short', 'caf%C3'],
    ['a sequence cut by text', '%C3x%A9'],
    ['an overlong form', '%C0%80'],
    ['an overlong three-byte form', '%E0%80%80'],
    ['an overlong four-byte form', '%F0%80%80%80'],
    ['a surrogate', '%ED%A0%80'],
    ['past U+10FFFF', '%F4%90%80%80'],
    ['a lead byte no UTF-8 uses', '%F8%80%80%80%80'],
  ])('refuses %s', (_case, text) => {
    expect(percentDecodedStrictly(text)).toBeUndefined();
  });

  it(
    'equals decodeURIComponent, for any text',
    () => {
      fc.assert(
        fc.property(percentText, (text) => {
          expect(percentDecodedStrictly(text)).toBe(reference.strict(text));
        }),
        { numRuns: NUM_RUNS * 3 },
      );
    },
    TIMEOUT_MS,
  );
});

describe('percentDecoded', () => {
  it.each([
    ['100%+%41', '100%+A'],
    ['%E9 then %41', '%E9 then A'],
    ['%C3%A9%FF', '%C3%A9%FF'],
    ['%FF%41x%41', '%FF%41xA'],
    ['%%41', '%A'],
    ['%4%41', '%4A'],
    ['%41%', 'A%'],
  ])('reads %s as %s', (text, decoded) => {
    expect(percentDecoded(text)).toBe(decoded);
  });

  it(
    'decodes each run of escapes that decodeURIComponent would, and keeps the others, for any text',
    () => {
      fc.assert(
        fc.property(percentText, (text) => {
          expect(percentDecoded(text)).toBe(reference.lenient(text));
        }),
        { numRuns: NUM_RUNS * 3 },
      );
    },
    TIMEOUT_MS,
  );
});

describe('percentDecodedEach', () => {
  afterEach(() => vi.restoreAllMocks());

  it(
    'decodes each text as percentDecoded does, whichever fails strict decoding and wherever',
    () => {
      fc.assert(
        fc.property(fc.array(percentText, { maxLength: 8 }), (texts) => {
          expect(percentDecodedEach(texts)).toEqual(texts.map(reference.lenient));
        }),
        { numRuns: NUM_RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it('lets decodeURIComponent throw at most once, however many texts are not UTF-8', () => {
    const decodeUri = globalThis.decodeURIComponent;
    let thrown = 0;
    vi.spyOn(globalThis, 'decodeURIComponent').mockImplementation((text) => {
      try {
        return decodeUri(text);
      } catch (error) {
        thrown++;
        throw error;
      }
    });
    const texts = Array.from({ length: 100 }, (_, i) => (i % 2 ? `%FF %41 ${i}` : `%41 ${i}`));
    expect(percentDecodedEach(texts)).toEqual(
      texts.map((text) => text.replaceAll(' %41', ' A').replace(/^%41/, 'A')),
    );
    expect(thrown).toBe(1);
  });
});
