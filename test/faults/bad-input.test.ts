import { Logger } from '@aws-lambda-powertools/logger';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  MAX_BODY_BYTES,
  MAX_FIELDS,
  MAX_JSON_DEPTH,
  MAX_LIST_ITEMS,
  MAX_NAME_LENGTH,
} from '../../lib/zego/decode-body';
import { lambdaContext } from '../../tools/local-stack/lambda-context';
import { apiGatewayEvent, signedCallback } from '../support/callbacks';
import { ingestHandler, type LocalStack, startLocalStack } from '../support/local-stack';
import { drain } from '../support/queue';

// The real ingest handler against a real queue, fed hostile bodies. Every line it logs is kept.
const SECRET = 'hostile-suite-secret-must-never-be-logged-5f1c';
const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 2_000);
const SPLICE_RUNS = Math.min(NUM_RUNS, 500);
let stack: LocalStack;
let handler: ReturnType<typeof ingestHandler>;
const logged: string[] = [];

beforeAll(async () => {
  stack = await startLocalStack();
  const keep = (chunk: string | Uint8Array) => {
    logged.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  vi.spyOn(process.stderr, 'write').mockImplementation(keep);
  const logger = new Logger({ serviceName: 'zego-mix-callbacks', logLevel: 'INFO' });
  handler = ingestHandler(stack, { env: { ZEGO_CALLBACK_SECRET: SECRET }, logger });
});
afterAll(async () => {
  vi.restoreAllMocks();
  await stack?.stop();
});

const now = () => String(Math.floor(Date.now() / 1000));
/** Signed with the right secret but for the hostile change; the signature does not cover it. */
const valid = (overrides: Record<string, unknown> = {}) =>
  signedCallback({ timestamp: now(), ...overrides }, SECRET);
const json = (value: unknown) => JSON.stringify(value);

const corpus: [string, string | undefined, boolean?][] = [
  ['an empty body', ''],
  ['no body', undefined],
  ['invalid percent-encoding', '%7B%22appid%22%3A%ZZ%7D'],
  ['a truncated escape in a form', 'appid=%E0%A4&seq=1'],
  ['base64 garbage', '!!!not-base64***', true],
  ['base64 of binary noise', Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x9c]).toString('base64'), true],
  ['deeply nested JSON', `{"appid":${'['.repeat(10_000)}${']'.repeat(10_000)}}`],
  ['JSON over the size cap', json({ ...valid(), pad: 'x'.repeat(70_000) })],
  ['conflicting duplicate keys', '{"appid":"111111","appid":"222222","seq":"1"}'],
  [
    '__proto__ and constructor keys',
    json({ ...valid(), signature: 'f'.repeat(40) }).replace(
      '{',
      '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}},',
    ),
  ],
  [
    'a 20-digit appid as a JSON number, unsigned',
    json({ ...valid(), signature: 'c'.repeat(40) }).replace(
      '"appid":"111111"',
      '"appid":12345678901234567890',
    ),
  ],
  ['a 21-digit seq', json(valid({ seq: '123456789012345678901' }))],
  ['a negative seq', json(valid({ seq: -5 }))],
  ['a negative timestamp', json(valid({ timestamp: -1689835223 }))],
  [
    'unicode and NUL bytes in fields',
    json({
      ...valid({ channel_id: 'ro\u0000om 🎥', publish_id: '\u202e\u0000' }),
      signature: '0'.repeat(40),
    }),
  ],
  ['a NUL byte in the signature', json({ ...valid(), signature: `${'a'.repeat(39)}\u0000` })],
  ['a 10 KB task id', json(valid({ task_id: 'x'.repeat(10_240) }))],
  ['an array where a string belongs', json(valid({ seq: ['1234'] }))],
  ['an object where a string belongs', json(valid({ nonce: { value: '1' } }))],
  ['a wrong event name, unsigned', json({ ...valid({ event: 'mix_stopped' }), signature: 'a'.repeat(40) })],
  ['a wrong secret', json(signedCallback({ timestamp: now() }, 'not-the-secret'))],
  ['a stale timestamp', json(valid({ timestamp: '1000000000' }))],
  ['a JSON array', '[{"appid":"111111"}]'],
  ['a JSON scalar', '1234'],
  ['XML', '<callback><appid>111111</appid></callback>'],
];

const names = (count: number) => Array.from({ length: count }, (_, i) => `n${i}`);
/** One body past each decoding limit, each as large as the size limit allows but the last. */
const pastLimits: [string, string, number, string][] = [
  [
    'a form giving one key again and again',
    `x=${'&x'.repeat((MAX_BODY_BYTES - 2) / 2)}`,
    400,
    `the form gives "x" more than ${MAX_LIST_ITEMS} times`,
  ],
  [
    'a form of thousands of pairs',
    names(4_000)
      .map((name) => `${name}=`)
      .join('&'),
    400,
    `the body holds more than ${MAX_FIELDS} fields (names and list items)`,
  ],
  [
    'JSON of thousands of names',
    json(Object.fromEntries(names(3_000).map((name) => [name, 0]))),
    400,
    `the body holds more than ${MAX_FIELDS} fields (names and list items)`,
  ],
  [
    'percent-encoded JSON of thousands of names',
    encodeURIComponent(json(Object.fromEntries(names(1_000).map((name) => [name, 0])))),
    400,
    `the body holds more than ${MAX_FIELDS} fields (names and list items)`,
  ],
  [
    'JSON of a list of thousands of strings that only look escaped',
    json({ ...valid(), extra: Array(4_000).fill('%FF') }),
    400,
    `a JSON list in the body holds more than ${MAX_LIST_ITEMS} items`,
  ],
  [
    'a JSON name of 30,000 characters',
    json({ ...valid(), ['k'.repeat(30_000)]: 1 }),
    400,
    `a name in the body is longer than ${MAX_NAME_LENGTH} characters`,
  ],
  [
    'a form name of 30,000 escapes',
    `${'%6B'.repeat(10_000)}=1`,
    400,
    `a name in the body is longer than ${MAX_NAME_LENGTH} characters`,
  ],
  [
    'JSON nested a level too deep',
    json({
      ...valid(),
      extra: JSON.parse(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`),
    }),
    400,
    `the JSON body nests deeper than ${MAX_JSON_DEPTH} levels`,
  ],
  [
    'JSON giving the appid twice, the same both times',
    json(valid()).replace('{', '{"appid":"111111",'),
    400,
    'the JSON body gives a name twice in one object',
  ],
  [
    'a body one byte over the size limit',
    json({ ...valid(), pad: 'x'.repeat(MAX_BODY_BYTES) }).slice(0, MAX_BODY_BYTES + 1),
    413,
    `the body is ${MAX_BODY_BYTES + 1} bytes; at most ${MAX_BODY_BYTES} are accepted`,
  ],
];

describe('hostile input to the real ingest handler', () => {
  it.each(pastLimits)('answers %s with %i and the limit it passed', async (_case, body, status, message) => {
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(status === 413 ? MAX_BODY_BYTES + 1 : MAX_BODY_BYTES);
    const result = await handler(apiGatewayEvent(body), lambdaContext('ingest'));
    expect(result.statusCode).toBe(status);
    expect(JSON.parse(result.body ?? '')).toEqual({
      error: status === 413 ? 'body_too_large' : 'malformed_body',
      message,
    });
  });

  it('takes a signed callback whose numbers are huge JSON numbers, keeping every digit', async () => {
    const body = json(valid({ nonce: '9223372036854775807' }))
      .replace('"nonce":"9223372036854775807"', '"nonce":9223372036854775807')
      .replace('"seq":"1234"', '"seq":12345678901234567890');
    const result = await handler(apiGatewayEvent(body), lambdaContext('ingest'));
    expect(result.statusCode).toBe(200);
    const [message] = await drain(stack.clients.sqs, stack.queue.url);
    expect(JSON.parse(message?.Body ?? '').callback).toMatchObject({
      seq: '12345678901234567890',
      nonce: '9223372036854775807',
    });
  });

  it.each(corpus)('answers %s with a 4xx and a reason', async (_case, body, base64 = false) => {
    const result = await handler(apiGatewayEvent(body, { base64 }), lambdaContext('ingest'));
    expect(result.statusCode).toBeGreaterThanOrEqual(400);
    expect(result.statusCode).toBeLessThan(500);
    expect(JSON.parse(result.body ?? '').error).toMatch(/^[a-z_]+$/);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it(`answers ${NUM_RUNS} generated hostile requests with a 4xx, never crashing`, async () => {
    const mutation = fc.oneof(
      fc.record({ seq: fc.oneof(fc.string(), fc.bigInt().map(String), fc.double(), fc.array(fc.string())) }),
      fc.record({ timestamp: fc.oneof(fc.string(), fc.integer(), fc.constant(null)) }),
      fc.record({ nonce: fc.oneof(fc.string({ unit: 'binary' }), fc.bigInt().map(String)) }),
      fc.record({ appid: fc.oneof(fc.string(), fc.integer({ min: -1e9, max: -1 })) }),
      fc.record({ event: fc.string() }),
    );
    const body = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.jsonValue().map((value) => JSON.stringify(value)),
      // A signed callback, then broken: the signature no longer matches or a field is invalid.
      mutation.map((m) => JSON.stringify({ ...valid(), ...m, signature: 'b'.repeat(40) })),
      mutation.map(
        (m) =>
          `${new URLSearchParams(
            Object.entries({ ...valid(), ...m }).map(([k, v]): [string, string] => [k, String(v)]),
          ).toString()}&signature=0`,
      ),
    );
    await fc.assert(
      fc.asyncProperty(body, fc.boolean(), async (text, base64) => {
        const result = await handler(apiGatewayEvent(text, { base64 }), lambdaContext('ingest'));
        return result.statusCode !== undefined && result.statusCode >= 400 && result.statusCode < 500;
      }),
      { numRuns: NUM_RUNS },
    );
  }, 300_000);

  it(`refuses ${SPLICE_RUNS} splices of a genuine callback's signature onto other callbacks`, async () => {
    const genuine = valid({ seq: '424242', task_id: '111111:genuine' });
    expect((await handler(apiGatewayEvent(json(genuine)), lambdaContext('ingest'))).statusCode).toBe(200);
    const splice = fc.record(
      {
        appid: fc.constantFrom('111111', '222222'),
        task_id: fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.constant('111111:genuine')),
        event: fc.constantFrom('mix_start', 'mix_stop', 'stream_create'),
        seq: fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 20n - 1n }).map(String), fc.constant('424242')),
        mix_url: fc.string(),
      },
      { requiredKeys: ['seq'] },
    );
    await fc.assert(
      fc.asyncProperty(splice, fc.boolean(), async (change, asForm) => {
        const fields = { ...genuine, ...change };
        // The signature is bound to the whole body: only the genuine one passes, however encoded.
        const sameBody = Object.keys(change).every(
          (key) =>
            String(fields[key as keyof typeof fields]) === String(genuine[key as keyof typeof genuine]),
        );
        const body = asForm
          ? new URLSearchParams(
              Object.entries(fields).map(([k, v]): [string, string] => [k, String(v)]),
            ).toString()
          : json(fields);
        const result = await handler(apiGatewayEvent(body), lambdaContext('ingest'));
        // The genuine body again is ZEGO's retry: stored once.
        expect(result.statusCode).toBe(sameBody ? 200 : 401);
      }),
      { numRuns: SPLICE_RUNS },
    );
    const queued = await drain(stack.clients.sqs, stack.queue.url);
    expect(queued.map((message) => JSON.parse(message.Body ?? '').callback.task_id)).toEqual([
      '111111:genuine',
    ]);
  }, 300_000);

  it('queued nothing, and never logged the secret', async () => {
    expect(await drain(stack.clients.sqs, stack.queue.url)).toEqual([]);
    // The refused splices were kept for the operator, without their signature.
    const kept = await drain(stack.clients.sqs, stack.refusedQueue.url);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.map((message) => message.Body).join('')).not.toContain('"signature"');
    const all = logged.join('');
    expect(all).toContain('callback rejected');
    expect(all).not.toContain(SECRET);
  });
});
