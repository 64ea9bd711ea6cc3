import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaContext } from '../../tools/local-stack/lambda-context';
import { apiGatewayEvent, encode, signedCallback, signedMixStart } from '../support/callbacks';
import { ingestHandler, type LocalStack, startLocalStack } from '../support/local-stack';
import { capturedStdout } from '../support/metrics';
import { drain, drainWithAttributes } from '../support/queue';

// The real handler, configured as it is deployed but for the secret (inline) and the engines (local).
let stack: LocalStack;
let handler: ReturnType<typeof ingestHandler>;

beforeAll(async () => {
  stack = await startLocalStack();
  handler = ingestHandler(stack);
});
afterAll(() => stack?.stop());

const now = () => String(Math.floor(Date.now() / 1000));
// SQS remembers de-duplication ids for 5 minutes: each test uses seqs of its own.
let lastSeq = 1000;
const nextSeq = () => String(++lastSeq);
const deliver = async (fields: Record<string, unknown>, encodeBody = encode.json) => {
  const result = await handler(apiGatewayEvent(encodeBody(fields)), lambdaContext());
  return result.statusCode;
};

describe('ingest handler against a local SQS engine', () => {
  it('leaves one message for two deliveries of the same callback', async () => {
    const callback = signedCallback({ timestamp: now(), seq: nextSeq() });
    expect(await deliver(callback)).toBe(200);
    expect(await deliver(callback, encode.form)).toBe(200);
    const messages = await drain(stack.clients.sqs, stack.queue.url);
    expect(messages).toHaveLength(1);
  });

  it('de-duplicates a retry that ZEGO re-signed with a new nonce', async () => {
    const seq = nextSeq();
    expect(await deliver(signedCallback({ timestamp: now(), seq, nonce: '1000000000000000001' }))).toBe(200);
    expect(await deliver(signedCallback({ timestamp: now(), seq, nonce: '1000000000000000002' }))).toBe(200);
    expect(await drain(stack.clients.sqs, stack.queue.url)).toHaveLength(1);
  });

  it('puts different tasks in different groups, and a start and its stop in one', async () => {
    const timestamp = now();
    const [start, stop, other] = [nextSeq(), nextSeq(), nextSeq()];
    await deliver(signedMixStart({ timestamp, task_id: 'task-a', seq: start }));
    await deliver(signedCallback({ timestamp, task_id: 'task-a', seq: stop }));
    await deliver(signedCallback({ timestamp, task_id: 'task-b', seq: other }));
    const messages = await drain(stack.clients.sqs, stack.queue.url);
    const groupOf = Object.fromEntries(
      messages.map((m) => [JSON.parse(m.Body ?? '').callback.seq, m.Attributes?.MessageGroupId]),
    );
    expect(groupOf).toEqual({ [start]: '111111:task-a', [stop]: '111111:task-a', [other]: '111111:task-b' });
  });

  it('round-trips the normalised callback, its unknown fields and the receive time', async () => {
    const timestamp = now();
    const before = Date.now();
    const nonce = '1234567890123456789';
    await deliver(signedCallback({ timestamp, nonce, seq: 77, appid: 111111, new_field: { kept: true } }));
    const [message] = await drain(stack.clients.sqs, stack.queue.url);
    const body = JSON.parse(message?.Body ?? '');
    expect(body.callback).toEqual({
      appid: '111111',
      channel_id: '2222',
      event: 'mix_stop',
      mix_stream_alias: 'aaa',
      mix_url: 'rtmp://rtmp.wsdemo.zego.im/zegodemo/aaa',
      nonce,
      publish_id: 'abc',
      seq: '77',
      task_id: '111111:1111',
      timestamp,
      new_field: { kept: true },
    });
    expect(Date.parse(body.receivedAt)).toBeGreaterThanOrEqual(before - 1);
    expect(message?.Attributes?.MessageDeduplicationId).toBe('111111:111111:1111:mix_stop:77');
  });

  it('keeps both of two tasks that reuse a seq (each task chooses its own)', async () => {
    const seq = nextSeq();
    expect(await deliver(signedMixStart({ timestamp: now(), task_id: 'seqA', seq }))).toBe(200);
    expect(await deliver(signedMixStart({ timestamp: now(), task_id: 'seqB', seq }))).toBe(200);
    const tasks = (await drain(stack.clients.sqs, stack.queue.url)).map(
      (m) => JSON.parse(m.Body ?? '').callback.task_id,
    );
    expect(tasks.sort()).toEqual(['seqA', 'seqB']);
  });

  it.each([
    ['emoji', '🎥 直播 👩‍👩‍👧'],
    ['U+FFFE and U+FFFF', 'a\ufffeb\uffffc'],
    ['control characters', 'a\u0000b\u001bc'],
  ])('stores %s through the local SQS engine exactly as sent', async (_case, text) => {
    const fields = signedCallback({ timestamp: now(), seq: nextSeq(), channel_id: text, note: { text } });
    expect(await deliver(fields)).toBe(200);
    const [message] = await drain(stack.clients.sqs, stack.queue.url);
    expect(JSON.parse(message?.Body ?? '').callback).toMatchObject({ channel_id: text, note: { text } });
  });

  it('refuses a splice of a genuine signature onto another callback and queues only the genuine one', async () => {
    const genuine = signedCallback({ timestamp: now(), seq: nextSeq() });
    expect(await deliver(genuine)).toBe(200);
    for (const change of [{ seq: nextSeq() }, { task_id: '111111:other' }, { appid: '222222' }]) {
      expect(await deliver({ ...genuine, ...change })).toBe(401);
    }
    const messages = await drain(stack.clients.sqs, stack.queue.url);
    expect(messages.map((m) => JSON.parse(m.Body ?? '').callback.seq)).toEqual([genuine.seq]);
    // Each refused body is kept for the operator, apart from the DLQ.
    expect(await drain(stack.clients.sqs, stack.refusedQueue.url)).toHaveLength(3);
  });

  it('refuses a forged body under a genuine identity and keeps it, without its signature, in the refused queue', async () => {
    const genuine = signedCallback({ timestamp: now(), seq: nextSeq() });
    const forged = { ...genuine, mix_url: 'rtmp://attacker.example/live' };
    expect(await deliver(genuine)).toBe(200);
    expect(await deliver(forged)).toBe(401);
    expect(await deliver(forged, encode.form)).toBe(401); // ZEGO's retry of it: the same body
    const queued = await drain(stack.clients.sqs, stack.queue.url);
    expect(queued.map((m) => JSON.parse(m.Body ?? '').callback.mix_url)).toEqual([genuine.mix_url]);
    const kept = (await drainWithAttributes(stack.clients.sqs, stack.refusedQueue.url)).filter(
      (m) => JSON.parse(m.Body ?? '').callback.seq === genuine.seq,
    );
    expect(kept).toHaveLength(2);
    const [record, retried] = kept;
    expect(retried?.MessageAttributes?.['zego-body-hash']).toEqual(
      record?.MessageAttributes?.['zego-body-hash'],
    );
    expect(JSON.parse(record?.Body ?? '').callback).toMatchObject({
      seq: genuine.seq,
      mix_url: forged.mix_url,
    });
    expect(JSON.stringify(record)).not.toContain(String(genuine.signature));
    const attribute = (name: string) => record?.MessageAttributes?.[name]?.StringValue;
    expect(attribute('zego-failure')).toMatch(/^signature_reused: .*same identity and another body/);
    expect(attribute('zego-body-hash')).toMatch(/^[0-9a-f]{64}$/);
    expect(attribute('zego-held-body-hash')).toMatch(/^[0-9a-f]{64}$/);
    expect(attribute('zego-held-body-hash')).not.toBe(attribute('zego-body-hash'));
    expect(attribute('zego-group')).toBe(`111111:${genuine.task_id}`);
  });

  it('queues nothing for a callback with a bad signature', async () => {
    expect(await deliver(signedCallback({ timestamp: now(), seq: nextSeq() }, 'not-the-secret'))).toBe(401);
    expect(await drain(stack.clients.sqs, stack.queue.url)).toHaveLength(0);
  });

  it('logs as service zego-mix-callbacks, function ingest, with no logger given', async () => {
    const stdout = capturedStdout();
    const plain = ingestHandler(stack, { logger: undefined });
    await plain(
      apiGatewayEvent(encode.json(signedCallback({ timestamp: now(), seq: nextSeq() }))),
      lambdaContext(),
    );
    const logged = logLines(stdout());
    expect(logged).toMatchObject([
      { message: 'callback accepted', service: 'zego-mix-callbacks', function: 'ingest' },
    ]);
    await drain(stack.clients.sqs, stack.queue.url);
  });
});

/** The logger's lines (not the metrics') among what was written to stdout. */
function logLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{') && !line.includes('"_aws"'))
    .map((line) => JSON.parse(line));
}
