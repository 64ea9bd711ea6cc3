/**
 * What decoding a body costs before any signature check: the slowest bodies we can build within the
 * body size limit, each against a genuine callback's decode, as a ratio. Anyone can send these, so
 * the worst ratio is what one unauthenticated request can make ingest spend.
 *
 * Part of `npm run bench`; alone: `npm run bench:decode`.
 */
import { cpus } from 'node:os';
import { CallbackError } from '../lib/errors';
import { decodeBody, MAX_BODY_BYTES, type RawBody } from '../lib/zego/decode-body';
import { median } from '../tools/measure';
import { encodeCallback } from '../tools/zego-fake/callbacks';
import { benchCallback } from './fixtures';
import { decodeCostTable } from './report';

const ROUNDS = 7;
/** Each body is decoded for about this long per round (at least once, at most MAX_PER_ROUND times). */
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

const plain = (build: (n: number) => string) => (n: number) => ({ body: build(n) });
const base64 = (build: (n: number) => string) => (n: number) => ({
  body: Buffer.from(build(n)).toString('base64'),
  isBase64Encoded: true,
});

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
    { body: `genuine mix_stop, ${encoding}`, build: () => ({ body: encodeCallback(stop, encoding).body }) },
    { body: `genuine mix_start, ${encoding}`, build: () => ({ body: encodeCallback(start, encoding).body }) },
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

function decodeAll(bodies: RawBody[]): number {
  const started = performance.now();
  for (const raw of bodies) {
    try {
      decodeBody(raw);
    } catch (error) {
      if (!(error instanceof CallbackError)) throw error;
    }
  }
  return performance.now() - started;
}

/**
 * Every case, in alternating rounds after one uncounted round (as the other parts do): each round
 * decodes freshly built bodies of each case for about ROUND_MS. Returns microseconds per body, the
 * median over the rounds.
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
  const all = [...genuine, ...CASES];
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
