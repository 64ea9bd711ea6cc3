import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CallbackError } from '../../../lib/errors';
import { percentDecoded } from '../../../lib/text/percent-decode';
import {
  type DecodedFields,
  decodeBody,
  MAX_BODY_BYTES,
  MAX_FIELDS,
  MAX_JSON_DEPTH,
  MAX_LIST_ITEMS,
  MAX_NAME_LENGTH,
} from '../../../lib/zego/decode-body';
import { encode } from '../../support/callbacks';

const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 300);
/** Room for `npm run test:nightly`'s 10,000 cases on a busy machine. */
const TIMEOUT_MS = 300_000;

afterEach(() => vi.restoreAllMocks());

const ZEGO_NAMES = ['appid', 'event', 'seq', 'task_id', 'channel_id', 'mix_url', 'rtmp_urls', '__proto__'];
/** Names ZEGO uses, plain ones, and ones past the length limit. */
const name = fc.oneof(
  fc.constantFrom(...ZEGO_NAMES),
  fc.stringMatching(/^[a-z_]{1,12}$/),
  fc.string({ maxLength: MAX_NAME_LENGTH + 8 }),
);
/** Text rich in what decoding turns on: escapes (valid or not), "%", "+", "&", "=", quotes. */
const text = fc
  .array(
    fc.oneof(
      fc.constantFrom('%41', '%2541', '%C3%A9', '%FF', '%', '%4', '+', '&', '=', '"', '\\', 'é', '🎥', ' '),
      fc.string({ maxLength: 8 }),
    ),
    { maxLength: 8 },
  )
  .map((pieces) => pieces.join(''));
const scalar = fc.oneof(
  text,
  fc.integer(),
  // Whole numbers a double would round are kept as their digits: tested on their own.
  fc
    .double({ noNaN: true, noDefaultInfinity: true })
    .filter((n) => Number.isSafeInteger(n) || !/^-?\d+$/.test(JSON.stringify(n))),
  fc.boolean(),
  fc.constant(null),
);
/** JSON values nested a few levels, lists sometimes past the item limit. */
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: MAX_LIST_ITEMS + 4 }),
    fc.dictionary(name, tie('value'), { maxKeys: 6 }),
  ),
}));
/** Fields in every number around the limit. */
const record = fc.dictionary(name, value, { maxKeys: MAX_FIELDS + 8 });
const stringRecord = fc.dictionary(name, fc.oneof(text, fc.array(text, { minLength: 2, maxLength: 4 })), {
  maxKeys: 20,
});

/** Bodies in every form the decoder reads, hostile shapes included, and plenty it does not read. */
const body = fc.oneof(
  record.map((fields) => encode.json(fields)),
  record.map((fields) => encode.percentJson(fields)),
  stringRecord.map((fields) => encode.form(fields)),
  fc
    .tuple(fc.constantFrom('x=', 'x[]=', '%78='), fc.nat({ max: 400 }))
    .map(([pair, n]) => `x=${`&${pair}`.repeat(n)}`),
  fc.nat({ max: 3000 }).map((n) => `{"a":${'['.repeat(n)}${']'.repeat(n)}}`),
  fc.nat({ max: 300 }).map((n) => `{${Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(',')}}`),
  fc
    .tuple(fc.nat({ max: 300 }), fc.constantFrom('"%41"', '"%FF"', '12345678901234567890', '{}', '[]'))
    .map(([n, item]) => `{"a":[${Array(n).fill(item).join(',')}]}`),
  fc.string({ maxLength: 200 }).map((s) => `{${s}`),
  fc.string({ maxLength: 200 }),
);

/** The number of names and list items in a decoded value, its longest list and its depth. */
function measure(value: unknown, depth = 0): { fields: number; longestList: number; depth: number } {
  if (typeof value !== 'object' || value === null) return { fields: 0, longestList: 0, depth };
  const items = Array.isArray(value) ? value : Object.values(value);
  const inner = items.map((item) => measure(item, depth + 1));
  return {
    fields: items.length + inner.reduce((sum, m) => sum + m.fields, 0),
    longestList: Math.max(Array.isArray(value) ? items.length : 0, ...inner.map((m) => m.longestList)),
    depth: Math.max(depth + 1, ...inner.map((m) => m.depth)),
  };
}

/** Calls to the native decoders, and the characters they were given, while `work` runs. */
function nativeWork(work: () => void): { calls: number; characters: number } {
  const decodeUri = globalThis.decodeURIComponent;
  const parseJson = JSON.parse;
  let calls = 0;
  let characters = 0;
  const count = (text: string) => {
    calls++;
    characters += text.length;
  };
  vi.spyOn(globalThis, 'decodeURIComponent').mockImplementation((text) => {
    count(text);
    return decodeUri(text);
  });
  vi.spyOn(JSON, 'parse').mockImplementation((text, reviver) => {
    count(text);
    return parseJson(text, reviver);
  });
  try {
    work();
  } catch (error) {
    if (!(error instanceof CallbackError)) throw error;
  } finally {
    vi.restoreAllMocks();
  }
  return { calls, characters };
}

describe('decodeBody, for any body', () => {
  it(
    'decodes within the limits, or refuses with one of our errors',
    () => {
      fc.assert(
        fc.property(body, fc.boolean(), (text, base64) => {
          const raw = base64
            ? { body: Buffer.from(text).toString('base64'), isBase64Encoded: true }
            : { body: text };
          let fields: DecodedFields;
          try {
            fields = decodeBody(raw);
          } catch (error) {
            expect(error).toBeInstanceOf(CallbackError);
            return;
          }
          const { fields: count, longestList, depth } = measure(fields);
          expect(count).toBeLessThanOrEqual(MAX_FIELDS);
          expect(longestList).toBeLessThanOrEqual(MAX_LIST_ITEMS);
          expect(depth).toBeLessThanOrEqual(MAX_JSON_DEPTH);
          expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_BODY_BYTES);
        }),
        { numRuns: NUM_RUNS },
      );
    },
    TIMEOUT_MS,
  );

  /**
   * Not a timing (machines are noisy): a count of the work that can cost, the native decoders'
   * calls and the characters they are given. A decoder that went on past a limit, or decoded a
   * text again for each field (the repeated key that once took seconds), breaks it. The decoder's
   * own steps are bounded by the same limits (each reads a token that counts toward one); the
   * bench (`npm run bench:decode`) times the rest.
   */
  it(
    'hands the native decoders a number of calls bounded by the limits, and a linear number of characters',
    () => {
      fc.assert(
        fc.property(body, (text) => {
          const { calls, characters } = nativeWork(() => decodeBody({ body: text }));
          expect(calls).toBeLessThanOrEqual(2 * MAX_FIELDS + 4);
          expect(characters).toBeLessThanOrEqual(4 * (text.length + MAX_FIELDS));
        }),
        { numRuns: NUM_RUNS },
      );
    },
    TIMEOUT_MS,
  );
});

describe('decodeBody, for any callback', () => {
  /** What JSON.parse gives, with top-level strings and those of top-level lists decoded once. */
  const expected = (fields: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(JSON.parse(JSON.stringify(fields))).map(([key, item]) => [
        key,
        key === 'task_id'
          ? item
          : typeof item === 'string'
            ? percentDecoded(item)
            : Array.isArray(item)
              ? item.map((each) => (typeof each === 'string' ? percentDecoded(each) : each))
              : item,
      ]),
    );
  const within = fc.dictionary(
    fc.oneof(fc.constantFrom(...ZEGO_NAMES), fc.stringMatching(/^[a-z_]{1,12}$/)),
    value,
    { maxKeys: 8 },
  );
  const fits = (fields: Record<string, unknown>) => {
    const { fields: count, longestList } = measure(JSON.parse(JSON.stringify(fields)));
    return count <= MAX_FIELDS && longestList <= MAX_LIST_ITEMS;
  };

  it(
    'reads a JSON object as JSON.parse does, string values decoded once and the task_id never',
    () => {
      fc.assert(
        fc.property(within.filter(fits), (fields) => {
          expect(decodeBody({ body: encode.json(fields) })).toEqual(expected(fields));
          expect(decodeBody({ body: encode.percentJson(fields) })).toEqual(expected(fields));
        }),
        { numRuns: NUM_RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    'reads a form with every value exactly as sent: decoded once, by reading it',
    () => {
      const names = fc.oneof(fc.constantFrom(...ZEGO_NAMES), fc.stringMatching(/^[a-z_]{1,12}$/));
      fc.assert(
        fc.property(
          fc.dictionary(names, fc.oneof(text, fc.array(text, { minLength: 2, maxLength: 4 })), {
            minKeys: 1,
          }),
          (fields) => {
            const wellFormed = Object.fromEntries(
              Object.entries(fields).map(([key, item]) => [
                key,
                Array.isArray(item) ? item.map((each) => each.toWellFormed()) : item.toWellFormed(),
              ]),
            );
            expect(decodeBody({ body: encode.form(fields) })).toEqual(wellFormed);
          },
        ),
        { numRuns: NUM_RUNS },
      );
    },
    TIMEOUT_MS,
  );
});
