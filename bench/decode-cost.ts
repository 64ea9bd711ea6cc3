/**
 * What decoding a body costs before any signature check: the slowest bodies we can build within the
 * body size limit (each limit reached at once, or one kind of content filling the body), each
 * against the cheapest genuine callback's decode, as a ratio of CPU time. Anyone can send these, so
 * the worst ratio is what one unauthenticated request can make ingest spend.
 *
 * Part of `npm run bench`; alone: `npm run bench:decode`.
 */
import { cpus } from 'node:os';
import { CallbackError } from '../lib/errors';
import {
  decodeBody,
  MAX_BODY_BYTES,
  MAX_FIELDS,
  MAX_LIST_ITEMS,
  MAX_NAME_LENGTH,
  type RawBody,
} from '../lib/zego/decode-body';
import { median } from '../tools/measure';
import { encodeCallback } from '../tools/zego-fake/callbacks';
import { benchCallback } from './fixtures';
import { decodeCostTable } from './report';

const ROUNDS = 7;
/** Each body is decoded for about this much CPU time per round (at least once, MAX_PER_ROUND at most). */
const ROUND_MS = 20;
const MAX_PER_ROUND = 400;

export interface DecodeCostRow {
  body: string;
  /** Size as the limit counts it: after base64 decoding. */
  bytes: number;
  /** `decoded`, or the reason it was refused. */
  outcome: string;
  /** Median over the rounds. */
  microseconds: number;
  /** Against the cheapest genuine callback's decode. */
  ratio: number;
}

export interface DecodeCost {
  limitBytes: number;
  genuine: DecodeCostRow[];
  hostile: DecodeCostRow[];
}

interface Case {
  body: string;
  /** The n-th body of this case; the fresh-names cases give each n names of its own. */
  build: (n: number) => RawBody;
}

/** The largest count whose text fits the size limit, as the decoder counts bytes. */
function largestCount(text: (count: number) => string): number {
  let low = 0;
  let high = MAX_BODY_BYTES;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (Buffer.byteLength(text(mid)) <= MAX_BODY_BYTES) low = mid;
    else high = mid - 1;
  }
  return low;
}

const repeat = (count: number, item: (i: number) => string, separator = ',') =>
  Array.from({ length: count }, (_, i) => item(i)).join(separator);

/**
 * A text as large as the limit allows: `text(count, n)` for the largest count that fits (n = 0);
 * built once unless `fresh`, when each n is built anew (names of the same length, never used before).
 */
function filling(
  text: (count: number, n: number) => string,
  { fresh = false, wrap = (body: string) => body } = {},
): (n: number) => string {
  let count: number | undefined;
  let built: string | undefined;
  return (n) => {
    count ??= largestCount((c) => wrap(text(c, 0)));
    if (fresh) return wrap(text(count, n));
    built ??= wrap(text(count, 0));
    return built;
  };
}

/** Names V8 has never seen: each is a new object shape to build, the dearest kind of name. */
const freshName = (n: number, i: number) => `${i.toString(36)}_${n.toString(36).padStart(5, '0')}`;

/**
 * A body as the Lambda runtime hands it over: a flat string, parsed from the event's JSON (text built
 * by repeat and join is a rope, which reads more slowly and would flatter nothing).
 */
const asReceived = (body: string) => JSON.parse(JSON.stringify(body)) as string;
const plain = (build: (n: number) => string) => (n: number) => ({ body: asReceived(build(n)) });
const base64 = (build: (n: number) => string) => (n: number) => ({
  body: asReceived(Buffer.from(build(n)).toString('base64')),
  isBase64Encoded: true,
});

/** A fresh name of the longest length taken. */
const longName = (n: number, i: number) => freshName(n, i).padEnd(MAX_NAME_LENGTH, '_');
/** Each character as a JSON `\\u` escape, the longest way to write it. */
const unicodeEscaped = (text: string) =>
  [...text].map((char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
/** `count` percent-escapes: the dearest text to decode, byte for byte. */
const escapes = (count: number) => '%41'.repeat(count);

const formRepeatedKey = filling((count) => `x=${'&x'.repeat(count)}`);
const formFreshNames = filling((count, n) => repeat(count, (i) => `${freshName(n, i)}=`, '&'), {
  fresh: true,
});
const jsonFreshNamesText = (count: number, n: number) =>
  `{${repeat(count, (i) => `"${freshName(n, i)}":0`)}}`;
const jsonFreshNames = filling(jsonFreshNamesText, { fresh: true });
const jsonItemsText = (item: string) => (count: number) => `{"a":[${repeat(count, () => item)}]}`;
const jsonItems = (item: string) => filling(jsonItemsText(item));
const jsonInvalidEscapes = jsonItems('"%FF"');

// Bodies that reach every limit at once and fill the rest with escapes to decode.
const jsonAtLimitsText = (count: number, n: number) =>
  `{${repeat(MAX_FIELDS, (i) => `"${longName(n, i)}":"${escapes(count)}"`)}}`;
const jsonAtLimits = filling(jsonAtLimitsText, { fresh: true });
const formAtLimits = filling(
  (count, n) => repeat(MAX_FIELDS, (i) => `${longName(n, i)}=${escapes(count)}`, '&'),
  {
    fresh: true,
  },
);
/** Two names, each a list at most as long as allowed, together at the field limit. */
const listsAtLimits = (item: (count: number) => string) =>
  filling((count) => {
    const first = Math.min(MAX_LIST_ITEMS, MAX_FIELDS - 2);
    return `{"a":[${repeat(first, () => item(count))}],"b":[${repeat(MAX_FIELDS - 2 - first, () => item(count))}]}`;
  });

const AT_LIMITS: Case[] = [
  {
    body: `JSON: ${MAX_FIELDS} fresh names of ${MAX_NAME_LENGTH} characters, values of escapes`,
    build: plain(jsonAtLimits),
  },
  {
    body: `JSON: ${MAX_FIELDS} fresh names written as \\u escapes, values of escapes`,
    build: plain(
      filling(
        (count, n) =>
          `{${repeat(MAX_FIELDS, (i) => `"${unicodeEscaped(longName(n, i).slice(0, Math.floor(MAX_NAME_LENGTH / 6)))}":"${escapes(count)}"`)}}`,
        { fresh: true },
      ),
    ),
  },
  {
    body: `JSON: ${MAX_FIELDS - 2} list items, strings of escapes`,
    build: plain(listsAtLimits((count) => `"${escapes(count)}"`)),
  },
  {
    body: `JSON: ${MAX_FIELDS - 2} list items, integers past 2^53 filling the body`,
    build: plain(listsAtLimits((count) => `1${'0'.repeat(count)}`)),
  },
  {
    body: `form: ${MAX_FIELDS} fresh names of ${MAX_NAME_LENGTH} characters, values of escapes`,
    build: plain(formAtLimits),
  },
  {
    body: `form: one name ${MAX_LIST_ITEMS} times and ${MAX_FIELDS - MAX_LIST_ITEMS} fresh names, values of escapes`,
    build: plain(
      filling(
        (count, n) =>
          `${repeat(MAX_LIST_ITEMS, () => `x=${escapes(count)}`, '&')}&${repeat(MAX_FIELDS - MAX_LIST_ITEMS, (i) => `${longName(n, i)}=${escapes(count)}`, '&')}`,
        { fresh: true },
      ),
    ),
  },
  {
    body: `percent-encoded JSON: ${MAX_FIELDS} fresh names, values of escapes`,
    build: plain(filling(jsonAtLimitsText, { fresh: true, wrap: encodeURIComponent })),
  },
  { body: 'base64: JSON at the limits', build: base64(jsonAtLimits) },
  { body: 'base64: form at the limits', build: base64(formAtLimits) },
];

const CASES: Case[] = [
  { body: 'form: one key repeated (x=&x&x...)', build: plain(formRepeatedKey) },
  { body: 'form: fields with fresh names', build: plain(formFreshNames) },
  { body: 'form: one long name', build: plain(filling((count) => `${'k'.repeat(count)}=1`)) },
  { body: 'form: a value of escapes (%41...)', build: plain(filling((count) => `v=${'%41'.repeat(count)}`)) },
  { body: 'form: empty pairs (a=1&&&...)', build: plain(filling((count) => `a=1${'&'.repeat(count)}`)) },
  {
    body: 'form: escaped list names, repeated (%61%5B%5D=1&...)',
    build: plain(filling((count) => repeat(count, () => '%61%5B%5D=1', '&'))),
  },
  { body: 'JSON: fields with fresh names', build: plain(jsonFreshNames) },
  { body: 'JSON: one long name', build: plain(filling((count) => `{"${'k'.repeat(count)}":1}`)) },
  {
    body: 'JSON: lists nested to the depth limit, side by side',
    build: plain(jsonItems(`${'['.repeat(30)}${']'.repeat(30)}`)),
  },
  { body: 'JSON: list items (0,0,...)', build: plain(jsonItems('0')) },
  { body: 'JSON: small objects ({"a":0},...)', build: plain(jsonItems('{"a":0}')) },
  { body: 'JSON: strings that only look escaped ("%FF",...)', build: plain(jsonInvalidEscapes) },
  { body: 'JSON: strings to percent-decode ("%41",...)', build: plain(jsonItems('"%41"')) },
  { body: 'JSON: integers past 2^53', build: plain(jsonItems('12345678901234567890')) },
  {
    body: 'JSON: one name given again and again, equal values',
    build: plain(filling((count) => `{${repeat(count, () => '"a":[0]')}}`)),
  },
  {
    body: 'JSON: a value of escapes (%41...)',
    build: plain(filling((count) => `{"v":"${'%41'.repeat(count)}"}`)),
  },
  {
    body: 'JSON: a value of JSON escapes (\\u0041...)',
    build: plain(filling((count) => `{"v":"${'\\u0041'.repeat(count)}"}`)),
  },
  { body: 'JSON: whitespace', build: plain(filling((count) => `{"a":${' '.repeat(count)}0}`)) },
  { body: 'JSON: one long plain string', build: plain(filling((count) => `{"v":"${'x'.repeat(count)}"}`)) },
  {
    body: 'percent-encoded JSON: fields with fresh names',
    build: plain(filling(jsonFreshNamesText, { fresh: true, wrap: encodeURIComponent })),
  },
  {
    body: 'percent-encoded JSON: strings that only look escaped',
    build: plain(filling(jsonItemsText('"%FF"'), { wrap: encodeURIComponent })),
  },
  { body: 'base64: form, one key repeated', build: base64(formRepeatedKey) },
  { body: 'base64: JSON, fields with fresh names', build: base64(jsonFreshNames) },
  { body: 'base64: JSON, strings that only look escaped', build: base64(jsonInvalidEscapes) },
];

/** The genuine callbacks: a mix_stop and a mix_start, in each form ZEGO has used. */
function genuineCases(): Case[] {
  const stop = benchCallback();
  const start = benchCallback({ event: 'mix_start' });
  return (['json', 'percent-json', 'form'] as const).flatMap((encoding) => [
    { body: `genuine mix_stop, ${encoding}`, build: plain(() => encodeCallback(stop, encoding).body) },
    { body: `genuine mix_start, ${encoding}`, build: plain(() => encodeCallback(start, encoding).body) },
  ]);
}

function outcomeOf(raw: RawBody): string {
  try {
    decodeBody(raw);
    return 'decoded';
  } catch (error) {
    if (error instanceof CallbackError) return `${error.status} ${error.reason}: ${error.message}`;
    throw error;
  }
}

/** CPU time, in ms: on a shared machine, wall time also counts the neighbours' turns. */
function decodeAll(bodies: RawBody[]): number {
  const started = process.cpuUsage();
  for (const raw of bodies) {
    try {
      decodeBody(raw);
    } catch (error) {
      if (!(error instanceof CallbackError)) throw error;
    }
  }
  const { user, system } = process.cpuUsage(started);
  return (user + system) / 1000;
}

/**
 * Every case, in alternating rounds after one uncounted round (as the other parts do): each round
 * decodes freshly built bodies of each case for about ROUND_MS. Returns CPU microseconds per body,
 * the median over the rounds.
 */
function measure(cases: Case[]): number[] {
  const perRound = cases.map(() => 1);
  const times = cases.map((): number[] => []);
  let n = 0;
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [index, { build }] of cases.entries()) {
      const count = perRound[index] ?? 1;
      const bodies = Array.from({ length: count }, () => build(n++));
      const ms = decodeAll(bodies);
      const each = ms / count;
      perRound[index] = Math.max(1, Math.min(MAX_PER_ROUND, Math.round(ROUND_MS / Math.max(each, 0.001))));
      if (round > 0) times[index]?.push(each * 1000);
    }
  }
  return times.map(median);
}

export function measureDecodeCost(): DecodeCost {
  const genuine = genuineCases();
  const all = [...genuine, ...AT_LIMITS, ...CASES];
  const micros = measure(all);
  const reference = Math.min(...micros.slice(0, genuine.length));
  const rows = all.map(({ body, build }, index): DecodeCostRow => {
    const raw = build(0);
    const bytes = raw.isBase64Encoded
      ? Buffer.byteLength(raw.body ?? '', 'base64')
      : Buffer.byteLength(raw.body ?? '');
    const us = micros[index] ?? Number.NaN;
    return { body, bytes, outcome: outcomeOf(raw), microseconds: us, ratio: us / reference };
  });
  return {
    limitBytes: MAX_BODY_BYTES,
    genuine: rows.slice(0, genuine.length),
    hostile: rows.slice(genuine.length),
  };
}

if (require.main === module) {
  const cpu = cpus();
  console.log(`${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores; Node ${process.version}`);
  console.log(`\n${decodeCostTable(measureDecodeCost())}\n`);
}
