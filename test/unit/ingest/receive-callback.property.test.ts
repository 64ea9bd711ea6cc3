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

const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 300);
const sqsMock = mockClient(SQSClient);
const deps = {
  queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/q.fifo',
  secrets: staticSecretSource(parseSecretBook(TEST_SECRET)),
  maxClockSkewSeconds: 600,
  enqueueTimeoutMs: 200,
  logger: new Logger({ logLevel: 'SILENT' }),
  metrics: createMetrics('ingest'),
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
