import { Logger } from '@aws-lambda-powertools/logger';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretsUnavailableError, SignatureStoreUnavailableError } from '../../../lib/errors';
import { receiveCallback } from '../../../lib/ingest/receive-callback';
import { createMetrics } from '../../../lib/metrics';
import { MAX_BODY_BYTES } from '../../../lib/zego/decode-body';
import { parseSecretBook, type SecretSource, staticSecretSource } from '../../../lib/zego/secrets';
import { apiGatewayEvent, encode, signedCallback, TEST_NOW_MS, TEST_SECRET } from '../../support/callbacks';
import { capturedLogger } from '../../support/logs';
import { capturedMetrics, parseEmf, total } from '../../support/metrics';
import { memorySignatureBindings } from '../../support/signatures';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/zego-test-callbacks.fifo';
const sqsMock = mockClient(SQSClient);
const sqs = new SQSClient({ region: 'us-east-1' });

const silent = new Logger({ logLevel: 'SILENT' });
// Stored, never published: the metrics test below publishes its own.
const unpublished = createMetrics('ingest', 'test');

let bindings = memorySignatureBindings(() => TEST_NOW_MS);
const anyApp = (spec: string) => staticSecretSource(parseSecretBook(spec, { allowAnyApp: true }));

function deps(overrides: { secrets?: SecretSource; maxClockSkewSeconds?: number; now?: () => number } = {}) {
  return {
    queueUrl: QUEUE_URL,
    secrets: anyApp(TEST_SECRET),
    bindSignature: bindings.bind,
    keepRefused: bindings.keepRefused,
    maxClockSkewSeconds: 600,
    enqueueTimeoutMs: 200,
    logger: silent,
    metrics: unpublished,
    now: () => TEST_NOW_MS,
    sqs,
    ...overrides,
  };
}

const post = (body: string | undefined, options?: Parameters<typeof apiGatewayEvent>[1]) =>
  apiGatewayEvent(body, options);
const errorOf = (result: { body?: string }) => JSON.parse(result.body ?? '{}').error;

beforeEach(() => {
  bindings = memorySignatureBindings(() => TEST_NOW_MS);
  sqsMock.reset();
  sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
});
afterEach(() => sqsMock.reset());

describe('receiveCallback', () => {
  it('answers 200 after SendMessage succeeded, with the ids and the message', async () => {
    const result = await receiveCallback(post(encode.json(signedCallback({ extra_field: 'kept' }))), deps());
    expect(result).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"ok":true}',
    });
    const [call] = sqsMock.commandCalls(SendMessageCommand);
    const input = call?.args[0].input;
    expect(input).toMatchObject({
      QueueUrl: QUEUE_URL,
      MessageDeduplicationId: '111111:111111:1111:mix_stop:1234',
      MessageGroupId: '111111:111111:1111',
    });
    const message = JSON.parse(input?.MessageBody ?? '');
    expect(message).toMatchObject({
      version: 1,
      receivedAt: new Date(TEST_NOW_MS).toISOString(),
      callback: {
        appid: '111111',
        event: 'mix_stop',
        seq: '1234',
        task_id: '111111:1111',
        extra_field: 'kept',
      },
    });
    expect(message.callback.signature).toBeUndefined();
  });

  it.each([
    ['a form', encode.form(signedCallback()), false],
    ['percent-encoded JSON', encode.percentJson(signedCallback()), false],
    ['base64 JSON', encode.json(signedCallback()), true],
  ])('accepts %s', async (_form, body, base64) => {
    expect((await receiveCallback(post(body, { base64 }), deps())).statusCode).toBe(200);
  });

  it('answers 503 when SQS fails, and never 200', async () => {
    sqsMock.on(SendMessageCommand).rejects(new Error('ServiceUnavailable'));
    const result = await receiveCallback(post(encode.json(signedCallback())), deps());
    expect(result).toEqual({
      statusCode: 503,
      headers: { 'content-type': 'application/json' },
      body: '{"error":"queue_unavailable"}',
    });
  });

  it('answers 503 when SQS does not answer in time', async () => {
    sqsMock.on(SendMessageCommand).callsFake(() => new Promise(() => {}));
    const started = Date.now();
    const result = await receiveCallback(post(encode.json(signedCallback())), deps());
    expect(result.statusCode).toBe(503);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('answers 503 when the secrets cannot be read', async () => {
    const secrets = async () => {
      throw new SecretsUnavailableError('parameter missing');
    };
    const result = await receiveCallback(post(encode.json(signedCallback())), deps({ secrets }));
    expect(result.statusCode).toBe(503);
    expect(errorOf(result)).toBe('secrets_unavailable');
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it.each([
    ['a malformed body', 400, 'malformed_body', 'not a callback'],
    ['a missing field', 400, 'invalid_callback', encode.json({ ...signedCallback(), seq: undefined })],
    ['a bad signature', 401, 'bad_signature', encode.json(signedCallback({ signature: 'f'.repeat(40) }))],
    ['another secret', 401, 'bad_signature', encode.json(signedCallback({}, 'another-fake-secret'))],
    ['a stale timestamp', 401, 'stale_timestamp', encode.json(signedCallback({ timestamp: '1689834000' }))],
    ['a future timestamp', 401, 'stale_timestamp', encode.json(signedCallback({ timestamp: '1689836000' }))],
    ['an oversized body', 413, 'body_too_large', encode.json(signedCallback({ pad: 'x'.repeat(70_000) }))],
  ])('answers %s with %i and a reason, queueing nothing', async (_case, status, reason, body) => {
    const result = await receiveCallback(post(body), deps());
    expect(result.statusCode).toBe(status);
    expect(errorOf(result)).toBe(reason);
    expect(JSON.parse(result.body ?? '{}').message).toEqual(expect.any(String));
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('answers an appid it does not serve exactly as a bad signature; the log keeps the difference', async () => {
    const { logger, records } = capturedLogger();
    const secrets = staticSecretSource(parseSecretBook(`{"222222":"${TEST_SECRET}"}`));
    const unknown = await receiveCallback(post(encode.json(signedCallback())), {
      ...deps({ secrets }),
      logger,
    });
    const forged = signedCallback({ appid: '222222', signature: 'f'.repeat(40) });
    const wrong = await receiveCallback(post(encode.json(forged)), { ...deps({ secrets }), logger });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.body).toBe(wrong.body);
    const logged = records().filter((record) => 'message' in record); // not the metrics' lines
    expect(logged.map((record) => record.reason)).toEqual(['unknown_appid', 'bad_signature']);
  });

  it('serves several apps, each with its own secret', async () => {
    const secrets = staticSecretSource(parseSecretBook('{"111111":"fake-a","222222":"fake-b"}'));
    const a = signedCallback({ appid: '111111' }, 'fake-a');
    const b = signedCallback({ appid: '222222' }, 'fake-b');
    const crossed = signedCallback({ appid: '222222' }, 'fake-a');
    expect((await receiveCallback(post(encode.json(a)), deps({ secrets }))).statusCode).toBe(200);
    expect((await receiveCallback(post(encode.json(b)), deps({ secrets }))).statusCode).toBe(200);
    expect((await receiveCallback(post(encode.json(crossed)), deps({ secrets }))).statusCode).toBe(401);
  });

  it('accepts the old and the new secret during a rotation', async () => {
    const secrets = anyApp('fake-new,fake-old');
    for (const secret of ['fake-new', 'fake-old']) {
      const result = await receiveCallback(post(encode.json(signedCallback({}, secret))), deps({ secrets }));
      expect(result.statusCode).toBe(200);
    }
  });

  it('accepts any timestamp when the skew check is off', async () => {
    const body = encode.json(signedCallback({ timestamp: '1000000000' }));
    expect((await receiveCallback(post(body), deps({ maxClockSkewSeconds: 0 }))).statusCode).toBe(200);
    expect((await receiveCallback(post(body), deps({ maxClockSkewSeconds: 600 }))).statusCode).toBe(401);
  });

  it('reads the clock it is given, at the edge of the window', async () => {
    const body = encode.json(signedCallback());
    const at = (offsetSeconds: number) => deps({ now: () => TEST_NOW_MS + offsetSeconds * 1000 });
    expect((await receiveCallback(post(body), at(600))).statusCode).toBe(200);
    expect((await receiveCallback(post(body), at(601))).statusCode).toBe(401);
  });

  it('logs the outcome with ids and latency, never the secret or the signature', async () => {
    const { logger, records, lines } = capturedLogger();
    const clock = sqsTakingMs(250);
    const callback = signedCallback();
    await receiveCallback(post(encode.json(callback)), { ...deps({ now: clock }), logger });
    await receiveCallback(post(encode.json(signedCallback({ signature: 'a'.repeat(40) }))), {
      ...deps({ now: clock }),
      logger,
    });
    const failing = sqsTakingMs(40, new Error('down'));
    await receiveCallback(post(encode.json(callback)), { ...deps({ now: failing }), logger });

    const logs = records().filter((record) => 'message' in record); // not the metrics' lines
    expect(logs.map((record) => record.outcome)).toEqual(['accepted', 'rejected', 'failed']);
    expect(logs[0]).toMatchObject({
      appid: '111111',
      event: 'mix_stop',
      seq: '1234',
      task_id: '111111:1111',
    });
    // From receipt to the answer: the time SQS took, or none for a refusal decided before it.
    expect(logs.map((record) => record.latencyMs)).toEqual([250, 0, 40]);
    const all = lines().join('\n');
    expect(all).not.toContain(TEST_SECRET);
    expect(all).not.toContain(String(callback.signature));
    expect(all).not.toContain('a'.repeat(40));
  });

  it('emits received, accepted, latency and lag; rejected, unauthorized and failed by reason', async () => {
    const { metrics, emitted } = capturedMetrics('ingest');
    const at = (offset: number) => ({ ...deps(), metrics, now: () => TEST_NOW_MS + offset });
    await receiveCallback(post(encode.json(signedCallback())), { ...at(4_000), now: sqsTakingMs(30, 4_000) });
    await receiveCallback(post(encode.json(signedCallback({ signature: 'a'.repeat(40) }))), at(0));
    // Two of one refusal and one of another: each count must follow its own kind.
    await receiveCallback(post('garbage'), at(0));
    await receiveCallback(post('more garbage'), at(0));
    sqsMock.on(SendMessageCommand).rejects(new Error('down'));
    await receiveCallback(post(encode.json(signedCallback())), at(0));

    const out = emitted();
    expect(total(out, 'CallbackReceived')).toBe(5);
    expect(total(out, 'CallbackAccepted')).toBe(1);
    expect(total(out, 'CallbackAccepted', { appid: '111111' })).toBe(1);
    expect(total(out, 'CallbackRejected')).toBe(3);
    expect(total(out, 'CallbackRejected', { reason: 'bad_signature' })).toBe(1);
    expect(total(out, 'CallbackRejected', { reason: 'malformed_body' })).toBe(2);
    expect(total(out, 'CallbackUnauthorized')).toBe(1);
    expect(total(out, 'CallbackForged')).toBe(0);
    expect(total(out, 'CallbackFailed', { reason: 'queue_unavailable' })).toBe(1);
    // The alarms read these under service and function alone (serverless.yml).
    expect(total(out, 'CallbackFailed')).toBe(1);
    expect(total(out, 'CallbackLag')).toBe(4);
    expect(out.find((m) => m.name === 'EnqueueLatency')).toMatchObject({
      unit: 'Milliseconds',
      values: [30],
    });
    expect(
      out.every(
        (m) =>
          m.namespace === 'ZegoMixCallbacks' &&
          m.dimensions.service === 'zego-mix-callbacks' &&
          m.dimensions.function === 'ingest',
      ),
    ).toBe(true);
  });

  it('answers 500 with no detail, counted as failed, when something unexpected throws', async () => {
    // One capture for both: the logger and the metrics write to the same stdout.
    const { logger, records, lines } = capturedLogger();
    const metrics = createMetrics('ingest', 'test');
    const secrets = async (): Promise<never> => {
      throw new Error('a bug with internals: fixture-detail');
    };
    const result = await receiveCallback(post(encode.json(signedCallback())), {
      ...deps({ secrets }),
      metrics,
      logger,
    });
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body ?? '{}')).toEqual({ error: 'internal_error' });
    metrics.publishStoredMetrics();
    const out = parseEmf(lines().join('\n'));
    expect(total(out, 'CallbackFailed')).toBe(1);
    expect(total(out, 'CallbackFailed', { reason: 'internal_error' })).toBe(1);
    expect(total(out, 'CallbackRejected')).toBe(0);
    const logged = records().filter((record) => 'message' in record);
    expect(logged).toMatchObject([
      { level: 'ERROR', outcome: 'failed', reason: 'internal_error', status: 500 },
    ]);
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('decides the body’s form by its content, whatever the Content-Type says', async () => {
    const formAsJson = post(encode.form(signedCallback()), {
      headers: { 'content-type': 'application/json' },
    });
    const jsonAsForm = post(encode.json(signedCallback()), {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect((await receiveCallback(formAsJson, deps())).statusCode).toBe(200);
    expect((await receiveCallback(jsonAsForm, deps())).statusCode).toBe(200);
  });
});

/**
 * A clock that stands still except while SQS handles a SendMessage, which takes `ms`; SQS then
 * answers (or fails with `error`).
 */
function sqsTakingMs(ms: number, errorOrOffset?: Error | number): () => number {
  let clock = TEST_NOW_MS + (typeof errorOrOffset === 'number' ? errorOrOffset : 0);
  sqsMock.on(SendMessageCommand).callsFake(async () => {
    clock += ms;
    if (errorOrOffset instanceof Error) throw errorOrOffset;
    return { MessageId: 'm-1' };
  });
  return () => clock;
}

describe('receiveCallback: one use per signature', () => {
  const genuine = signedCallback();
  /** The genuine callback's timestamp, nonce and signature on another body. */
  const splice = (overrides: Record<string, unknown>) => ({ ...genuine, ...overrides });

  it.each([
    ['the same task, another seq', { seq: '99999999999999999999' }],
    ['another task', { task_id: '111111:attacker' }],
    ['another event', { event: 'mix_start' }],
    ['another appid sharing the secret', { appid: '222222' }],
  ])('refuses a splice onto %s with 401 signature_reused, queueing nothing', async (_case, change) => {
    const { metrics, emitted } = capturedMetrics('ingest');
    expect((await receiveCallback(post(encode.json(genuine)), { ...deps(), metrics })).statusCode).toBe(200);
    const result = await receiveCallback(post(encode.json(splice(change))), { ...deps(), metrics });
    expect(result.statusCode).toBe(401);
    expect(errorOf(result)).toBe('signature_reused');
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(1);
    const out = emitted();
    expect(total(out, 'CallbackForged')).toBe(1);
    expect(total(out, 'CallbackUnauthorized')).toBe(1);
    expect(total(out, 'CallbackRejected', { reason: 'signature_reused' })).toBe(1);
  });

  it('refuses a splice that keeps the identity and changes another field, and keeps the refused body', async () => {
    // ZEGO signs no field of the body: the binding holds the whole callback, so a forged mix_url
    // under a genuine identity is refused like any other body under a used signature.
    const { metrics, emitted } = capturedMetrics('ingest');
    await receiveCallback(post(encode.json(genuine)), deps());
    const result = await receiveCallback(post(encode.json(splice({ mix_url: 'rtmp://attacker' }))), {
      ...deps(),
      metrics,
    });
    expect(result.statusCode).toBe(401);
    expect(errorOf(result)).toBe('signature_reused');
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(1);
    expect(bindings.kept).toHaveLength(1);
    const [{ message, refusal } = expect.unreachable()] = bindings.kept;
    expect(JSON.parse(message.body).callback).toMatchObject({ mix_url: 'rtmp://attacker' });
    expect(message.body).not.toContain(String(genuine.signature));
    expect(refusal.hashes.heldBodyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(refusal.hashes.bodyHash).not.toBe(refusal.hashes.heldBodyHash);
    expect(total(emitted(), 'CallbackForged')).toBe(1);
  });

  it('passes the same callback encoded another way under its signature (the digest is of the fields)', async () => {
    expect((await receiveCallback(post(encode.json(genuine)), deps())).statusCode).toBe(200);
    expect((await receiveCallback(post(encode.form(genuine)), deps())).statusCode).toBe(200);
    const reordered = Object.fromEntries(Object.entries(genuine).reverse());
    expect((await receiveCallback(post(encode.json(reordered)), deps())).statusCode).toBe(200);
    expect(bindings.kept).toHaveLength(0);
  });

  it('answers 503, so ZEGO retries, when a refused body cannot be kept', async () => {
    await receiveCallback(post(encode.json(genuine)), deps());
    const keepRefused = async () => {
      throw new Error('SQS is down');
    };
    const result = await receiveCallback(post(encode.json(splice({ mix_url: 'rtmp://attacker' }))), {
      ...deps(),
      keepRefused,
    });
    expect(result.statusCode).toBe(503);
    expect(errorOf(result)).toBe('queue_unavailable');
  });

  it('passes ZEGO retries of the same callback, with the same signature or a fresh one', async () => {
    const resigned = signedCallback({ timestamp: '1689835230', nonce: '1111111111111111111' });
    for (const body of [genuine, genuine, resigned]) {
      expect((await receiveCallback(post(encode.json(body)), deps())).statusCode).toBe(200);
    }
    expect(bindings.bound.size).toBe(2);
  });

  it('binds only a verified callback that fits the queue, before it is queued', async () => {
    await receiveCallback(post(encode.json(signedCallback({ signature: 'a'.repeat(40) }))), deps());
    await receiveCallback(post(encode.json(signedCallback({ timestamp: '1689834000' }))), deps());
    await receiveCallback(post(formOfControlCharacters(60_000)), deps());
    expect(bindings.bound.size).toBe(0);
    const bindSignature = async () => {
      expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(0);
    };
    expect((await receiveCallback(post(encode.json(genuine)), { ...deps(), bindSignature })).statusCode).toBe(
      200,
    );
  });

  it('keeps the binding for the skew window plus a margin, or a week with the check off', async () => {
    await receiveCallback(post(encode.json(genuine)), deps({ maxClockSkewSeconds: 300 }));
    expect([...bindings.bound.values()][0]).toMatchObject({
      signature: String(genuine.signature),
      identity: '111111:111111:1111:mix_stop:1234',
      expiresAt: 1_689_835_223 + 300 + 60,
    });
    bindings.bound.clear();
    await receiveCallback(post(encode.json(genuine)), deps({ maxClockSkewSeconds: 0 }));
    expect([...bindings.bound.values()][0]?.expiresAt).toBe(TEST_NOW_MS / 1000 + 7 * 86_400);
  });

  it('answers 503 when the binding cannot be recorded, queueing nothing', async () => {
    const bindSignature = async () => {
      throw new SignatureStoreUnavailableError('DynamoDB is down');
    };
    const result = await receiveCallback(post(encode.json(genuine)), { ...deps(), bindSignature });
    expect(result.statusCode).toBe(503);
    expect(errorOf(result)).toBe('signature_store_unavailable');
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(0);
  });
});

/** A form body whose pad field is raw control characters: one byte each, six once escaped. */
function formOfControlCharacters(count: number): string {
  return `${encode.form(signedCallback())}&pad=${'\u0001'.repeat(count)}`;
}

describe('receiveCallback: nothing AWS would refuse after the 200', () => {
  it('answers 413 when the queue message would exceed the queue maximum, before binding', async () => {
    // The body limit (32 KiB) now answers first: 6 bytes per character could no longer pass 256 KiB.
    const body = formOfControlCharacters(60_000);
    const result = await receiveCallback(post(body), deps());
    expect(result.statusCode).toBe(413);
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('queues the largest body it takes, every character escaped to 6 bytes', async () => {
    const body = formOfControlCharacters(MAX_BODY_BYTES - encode.form(signedCallback()).length - 5);
    expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES);
    expect((await receiveCallback(post(body), deps())).statusCode).toBe(200);
  });

  it.each([
    ['emoji', '🎥 live 👩‍👩‍👧'],
    ['CJK', '中文房间'],
    ['U+FFFE and U+FFFF', 'a\ufffeb\uffffc'],
    ['control characters', 'a\u0000b\u001bc\u007f'],
  ])('queues %s as printable ASCII that parses back to exactly what was sent', async (_case, text) => {
    const result = await receiveCallback(
      post(encode.json(signedCallback({ channel_id: text, extra: [text] }))),
      deps(),
    );
    expect(result.statusCode).toBe(200);
    const body = sqsMock.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody ?? '';
    expect(body).toMatch(/^[\x20-\x7e]+$/);
    expect(JSON.parse(body).callback).toMatchObject({ channel_id: text, extra: [text] });
  });

  it('refuses a lone surrogate with 400, naming the field', async () => {
    const body = encode
      .json(signedCallback({ channel_id: 'x' }))
      .replace('"channel_id":"x"', '"channel_id":"\\ud800x"');
    const result = await receiveCallback(post(body), deps());
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body ?? '{}').message).toMatch(/channel_id holds a lone surrogate/);
  });

  it('refuses nesting deeper than 32 levels with 400 before parsing it', async () => {
    const deep = (levels: number) =>
      encode.json(signedCallback()).replace('{', `{"extra":${'['.repeat(levels)}${']'.repeat(levels)},`);
    expect((await receiveCallback(post(deep(31)), deps())).statusCode).toBe(200);
    const result = await receiveCallback(post(deep(4_200)), deps());
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body ?? '{}').message).toMatch(/nests deeper than 32 levels/);
  });

  it('refuses swapped timestamp and nonce (still a valid signature) with the skew check off', async () => {
    const swapped = signedCallback({ timestamp: '7257787020413449571', nonce: '1689835223' });
    const result = await receiveCallback(post(encode.json(swapped)), deps({ maxClockSkewSeconds: 0 }));
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body ?? '{}').message).toMatch(/timestamp must be a Unix time in seconds/);
  });

  it('quotes at most a little of the input in a 4xx, and no control characters', async () => {
    const hostile = `{"appid":"1","appid":"${'\u001b[2J'.repeat(500)}"}`;
    const result = await receiveCallback(post(hostile), deps());
    expect(result.statusCode).toBe(400);
    expect([...(result.body ?? '')].some((char) => char < ' ')).toBe(false);
    expect(result.body).not.toContain('[2J');
    expect(result.body?.length).toBeLessThan(300);
  });
});
