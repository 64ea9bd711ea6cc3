import { Logger } from '@aws-lambda-powertools/logger';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { CallbackError } from '../../../lib/errors';
import { receiveCallback } from '../../../lib/ingest/receive-callback';
import { createMetrics } from '../../../lib/metrics';
import { parseCallback } from '../../../lib/zego/callback-schema';
import { decodeBody } from '../../../lib/zego/decode-body';
import { parseSecretBook, staticSecretSource } from '../../../lib/zego/secrets';
import { signCallback, verifyCallbackSignature } from '../../../lib/zego/signature';
import { apiGatewayEvent, encode, signedCallback, TEST_NOW_MS, TEST_SECRET } from '../../support/callbacks';
import { memorySignatureBindings } from '../../support/signatures';

const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 300);
const sqsMock = mockClient(SQSClient);
let bindings = memorySignatureBindings(() => TEST_NOW_MS);
const deps = {
  queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/q.fifo',
  secrets: staticSecretSource(parseSecretBook(TEST_SECRET, { allowAnyApp: true })),
  bindSignature: (binding: Parameters<typeof bindings.bind>[0]) => bindings.bind(binding),
  keepRefused: (...args: Parameters<typeof bindings.keepRefused>) => bindings.keepRefused(...args),
  maxClockSkewSeconds: 600,
  enqueueTimeoutMs: 200,
  logger: new Logger({ logLevel: 'SILENT' }),
  metrics: createMetrics('ingest', 'test'),
  now: () => TEST_NOW_MS,
  sqs: new SQSClient({ region: 'us-east-1' }),
};

const zegoKey = fc.constantFrom(
  'appid',
  'event',
  'seq',
  'timestamp',
  'nonce',
  'signature',
  'task_id',
  '__proto__',
);
const fieldValue = fc.oneof(
  fc.string(),
  fc.stringMatching(/^\d{1,25}$/),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
);
const looksLikeCallback = fc.dictionary(fc.oneof(zegoKey, fc.string({ maxLength: 8 })), fieldValue);
/** Bodies in every form the decoder reads, and plenty it does not. */
const body = fc.oneof(
  fc.string(),
  fc.json(),
  looksLikeCallback.map(encode.json),
  looksLikeCallback.map(encode.form),
  looksLikeCallback.map(encode.percentJson),
  fc.string().map((s) => `%7B${s}`),
  fc.string().map((s) => `{${s}`),
);
const headers = fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ maxLength: 40 }));

beforeEach(() => {
  bindings = memorySignatureBindings(() => TEST_NOW_MS);
  sqsMock.reset();
  sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm' });
});

describe('receiveCallback, for any request', () => {
  it('never throws, never answers 5xx while the queue works, and queues nothing unverified', async () => {
    await fc.assert(
      fc.asyncProperty(fc.option(body), fc.boolean(), headers, async (text, base64, extra) => {
        sqsMock.resetHistory();
        const event = apiGatewayEvent(text ?? undefined, { base64, headers: extra });
        const result = await receiveCallback(event, deps);
        expect(result.statusCode).toBeGreaterThanOrEqual(400);
        expect(result.statusCode).toBeLessThan(500);
        expect(JSON.parse(result.body ?? '').error).toEqual(expect.any(String));
        expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(0);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('queues every correctly signed callback, whatever its other fields and encoding', async () => {
    const extraFields = fc.dictionary(fc.stringMatching(/^[a-z_]{1,10}$/), fc.string({ maxLength: 30 }));
    const form = fc.constantFrom(encode.json, encode.form, encode.percentJson);
    await fc.assert(
      fc.asyncProperty(
        extraFields,
        fc.stringMatching(/^\d{1,18}$/),
        fc.stringMatching(/^\d{19}$/),
        form,
        fc.boolean(),
        async (extra, seq, nonce, encodeBody, base64) => {
          sqsMock.resetHistory();
          bindings = memorySignatureBindings(() => TEST_NOW_MS);
          const fields = signedCallback({ ...extra, seq, nonce });
          const result = await receiveCallback(apiGatewayEvent(encodeBody(fields), { base64 }), deps);
          expect(result.statusCode).toBe(200);
          expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(1);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('receiveCallback, for any text in any field', () => {
  /** Any code points, and now and then a lone surrogate. */
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc
      .tuple(fc.string({ maxLength: 5 }), fc.integer({ min: 0xd800, max: 0xdfff }))
      .map(([before, unit]) => `${before}${String.fromCharCode(unit)}`),
  );

  it('queues printable ASCII that parses back to exactly the callback, or answers 400', async () => {
    await fc.assert(
      fc.asyncProperty(text, text, fc.boolean(), async (room, extra, asForm) => {
        sqsMock.resetHistory();
        bindings = memorySignatureBindings(() => TEST_NOW_MS);
        const fields = signedCallback({ channel_id: room, extra });
        const body = asForm ? encode.form(fields) : encode.json(fields);
        const result = await receiveCallback(apiGatewayEvent(body), deps);
        // A form cannot carry a lone surrogate (URL encoding writes U+FFFD); JSON can, and is refused.
        const wellFormed = asForm || (room.isWellFormed() && extra.isWellFormed());
        expect(result.statusCode).toBe(wellFormed ? 200 : 400);
        if (!wellFormed) return;
        const queued = sqsMock.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody ?? '';
        expect(queued).toMatch(/^[\x20-\x7e]*$/);
        expect(JSON.parse(queued).callback).toMatchObject({
          channel_id: room.toWellFormed(),
          extra: extra.toWellFormed(),
        });
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('receiveCallback, for any callback and any splice of its signature', () => {
  const identity = fc.record({
    appid: fc.constantFrom('111111', '222222'),
    task_id: fc.stringMatching(/^[a-z0-9:]{1,12}$/),
    event: fc.constantFrom('mix_start', 'mix_stop'),
    seq: fc.stringMatching(/^[1-9]\d{0,19}$/),
  });

  const fields = fc.record({
    mix_url: fc.constantFrom('rtmp://a/live', 'rtmp://b/live'),
    extra: fc.boolean(),
  });

  it('accepts the first, refuses every other body with the same signature, keeps it for the operator and queues it never', async () => {
    await fc.assert(
      fc.asyncProperty(
        identity,
        identity,
        fields,
        fields,
        fc.stringMatching(/^\d{19}$/),
        async (first, second, firstFields, secondFields, nonce) => {
          sqsMock.resetHistory();
          bindings = memorySignatureBindings(() => TEST_NOW_MS);
          const genuine = signedCallback({ ...first, ...firstFields, nonce });
          const splice = { ...genuine, ...second, ...secondFields };
          expect((await receiveCallback(apiGatewayEvent(encode.json(genuine)), deps)).statusCode).toBe(200);
          const result = await receiveCallback(apiGatewayEvent(encode.json(splice)), deps);
          const same =
            JSON.stringify({ ...first, ...firstFields }) === JSON.stringify({ ...second, ...secondFields });
          expect(result.statusCode).toBe(same ? 200 : 401);
          expect(bindings.kept).toHaveLength(same ? 0 : 1);
          const sent = sqsMock.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
          expect(new Set(sent.map((input) => input.MessageDeduplicationId)).size).toBe(1);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('decoder and schema', () => {
  it('let only our typed errors escape', () => {
    fc.assert(
      fc.property(fc.option(body), fc.boolean(), (text, base64) => {
        try {
          parseCallback(decodeBody({ body: text ?? undefined, isBase64Encoded: base64 }));
        } catch (error) {
          expect(error).toBeInstanceOf(CallbackError);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('signature', () => {
  it('sign-then-verify always passes, and another secret never does', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.string({ minLength: 1 }),
        fc.stringMatching(/^\d{1,12}$/),
        fc.stringMatching(/^\d{1,20}$/),
        (secret, other, timestamp, nonce) => {
          const signature = signCallback(secret, { timestamp, nonce });
          expect(verifyCallbackSignature([secret], { timestamp, nonce }, signature)).toBe(true);
          if (other !== secret && signCallback(other, { timestamp, nonce }) !== signature) {
            expect(verifyCallbackSignature([other], { timestamp, nonce }, signature)).toBe(false);
          }
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});
