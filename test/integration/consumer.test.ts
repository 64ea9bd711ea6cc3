import { setTimeout as sleep } from 'node:timers/promises';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import type { Hooks, MixStoppedEvent } from '../../lib/hook-contract';
import { parseQueuedCallback, type QueuedMixStop } from '../../lib/queue/message';
import { applyMixEvent } from '../../lib/store/apply-mix-event';
import { getTask } from '../../lib/store/task-reads';
import { pollOnce } from '../../tools/local-stack/event-source-mapping';
import { lambdaContext } from '../../tools/local-stack/lambda-context';
import { queueDepth } from '../../tools/local-stack/queue-depth';
import { apiGatewayEvent, encode, signedCallback, signedMixStart } from '../support/callbacks';
import { consumerHandler, ingestHandler, type LocalStack, startLocalStack } from '../support/local-stack';
import { queuedBody, sqsEvent, sqsRecord } from '../support/messages';
import { capturedStdout, parseEmf, total } from '../support/metrics';
import { drain } from '../support/queue';

// Both real handlers, wired as deployed: callbacks go in through ingest, come out of the FIFO
// queue through a local event source mapping into the consumer, against fauxqs and DynamoDB Local.
// The queue's visibility timeout is 1 s so retries come quickly; maxReceiveCount is the stack's 5.
let stack: LocalStack;
let ingest: ReturnType<typeof ingestHandler>;
let consumer: ReturnType<typeof consumerHandler>;
// The hooks the consumer is built with; each test sets what they do.
const onMixStarted = vi.fn<Hooks['onMixStarted']>();
const onMixStopped = vi.fn<Hooks['onMixStopped']>();

beforeAll(async () => {
  stack = await startLocalStack({ VisibilityTimeout: '1' });
  ingest = ingestHandler(stack);
  consumer = consumerHandler(stack, { onMixStarted, onMixStopped });
});
afterAll(() => stack?.stop());
afterEach(() => {
  onMixStarted.mockReset();
  onMixStopped.mockReset();
});

/** Each test uses tasks and seqs of its own: SQS and the idempotency table remember callbacks. */
let counter = 0;
const unique = () => ++counter;
const now = () => String(Math.floor(Date.now() / 1000));

async function deliver(fields: Record<string, unknown>) {
  const result = await ingest(apiGatewayEvent(encode.json(fields)), lambdaContext('ingest'));
  expect(result.statusCode).toBe(200);
}

const mapping = () => ({
  sqs: stack.clients.sqs,
  queueUrl: stack.queue.url,
  queueArn: stack.queue.arn,
  region: 'us-east-1',
  handler: consumer,
  context: () => lambdaContext('consumer'),
});

/** Runs the event source mapping until the queue holds nothing, visible or in flight. */
async function settle(timeout = 20_000) {
  await vi.waitFor(
    async () => {
      while ((await pollOnce(mapping())).received > 0);
      expect(await queueDepth(stack.clients.sqs, stack.queue.url)).toBe(0);
    },
    { timeout, interval: 100 },
  );
}

/** The seq of the run a stop ended: its callback's, or for a reconciled stop the task's. */
const stopSeq = (event: MixStoppedEvent) => (event.inferred ? event.task.seq : event.callback.seq);

const task = (taskId: string) =>
  getTask('111111', taskId, { tableName: stack.tables.tasks, client: stack.clients.dynamo });

describe('consumer against local SQS and DynamoDB engines', () => {
  it('runs the hook once for a callback delivered three times, with the same and other SQS message ids', async () => {
    const stopped = onMixStopped;
    const stdout = capturedStdout(); // the real handlers publish their metrics there
    const fields = signedCallback({ timestamp: now(), task_id: `t${unique()}`, seq: String(unique()) });

    await deliver(fields);
    await deliver(fields); // ZEGO retry: SQS de-duplicates it
    await settle();
    // A replay after SQS's de-duplication window: the same callback under another message id.
    await stack.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.queue.url,
        MessageBody: queuedBody(fields),
        MessageGroupId: 'replay',
        MessageDeduplicationId: `replay-${unique()}`,
      }),
    );
    await settle();
    // An SQS redelivery of a message already processed: the very same record again.
    const record = sqsRecord(fields);
    const again = await consumer(sqsEvent(record, { ...record }), lambdaContext('consumer'));

    expect(again.batchItemFailures).toEqual([]);
    expect(stopped).toHaveBeenCalledTimes(1);
    // The replay and both copies of the redelivered record were answered from the idempotency
    // record, and counted.
    expect(total(parseEmf(stdout()), 'DuplicateSuppressed')).toBe(3);
    expect(await task(String(fields.task_id))).toMatchObject({ status: 'stopped', seq: fields.seq });
  });

  it('leaves a task stopped when a mix_start with a lower seq arrives after the stop', async () => {
    const started = onMixStarted;
    const taskId = `t${unique()}`;
    await deliver(signedCallback({ timestamp: now(), task_id: taskId, seq: '6' }));
    await deliver(signedMixStart({ timestamp: now(), task_id: taskId, seq: '5' }));
    await settle();
    expect(await task(taskId)).toMatchObject({ status: 'stopped', seq: '6' });
    expect(started).not.toHaveBeenCalled();
  });

  it('creates a stopped task for a stop whose start was never seen, and records both sides of a full run', async () => {
    const [lonely, full] = [`t${unique()}`, `t${unique()}`];
    const started = Number(now()) - 120;
    await deliver(signedCallback({ timestamp: now(), task_id: lonely, seq: String(unique()) }));
    await deliver(signedMixStart({ timestamp: String(started), task_id: full, seq: String(unique()) }));
    await deliver(signedCallback({ timestamp: now(), task_id: full, seq: String(unique()) }));
    await settle();
    expect(await task(lonely)).toMatchObject({ status: 'stopped', channel_id: '2222' });
    expect(await task(lonely)).not.toHaveProperty('startedAt');
    expect(await task(full)).toMatchObject({
      status: 'stopped',
      startedAt: started,
      stoppedAt: expect.any(Number),
      rtmp_urls: ['rtmp://play.example.invalid/live/aaa'],
      mix_url: 'rtmp://rtmp.wsdemo.zego.im/zegodemo/aaa',
    });
  });

  it('retries a hook that throws once, then succeeds with one effect', async () => {
    const effects: string[] = [];
    let calls = 0;
    onMixStopped.mockImplementation(async (event) => {
      calls += 1;
      if (calls === 1) throw new Error('downstream briefly down');
      effects.push(stopSeq(event));
    });
    const fields = signedCallback({ timestamp: now(), task_id: `t${unique()}`, seq: String(unique()) });
    await deliver(fields);
    await settle();
    expect(calls).toBe(2);
    expect(effects).toEqual([fields.seq]);
    expect(await drain(stack.clients.sqs, stack.deadLetterQueue.url)).toEqual([]);
  });

  it('moves a callback whose hook always throws to the DLQ, holding its group back meanwhile', async () => {
    const taskId = `t${unique()}`;
    const [poisoned, later, elsewhere] = [String(unique()), String(unique()), String(unique())];
    const order: string[] = [];
    onMixStopped.mockImplementation(async (event) => {
      order.push(stopSeq(event));
      if (stopSeq(event) === poisoned) throw new Error('always fails');
    });
    onMixStarted.mockImplementation(async ({ callback }) => {
      order.push(callback.seq);
    });
    await deliver(signedCallback({ timestamp: now(), task_id: taskId, seq: poisoned }));
    await deliver(signedMixStart({ timestamp: now(), task_id: taskId, seq: later }));
    await deliver(signedCallback({ timestamp: now(), task_id: `t${unique()}`, seq: elsewhere }));
    await settle(30_000);

    const attempts = order.filter((seq) => seq === poisoned).length;
    expect(attempts).toBe(5);
    // The later start of the same task ran only after the stop had left for the DLQ.
    expect(order.lastIndexOf(poisoned)).toBeLessThan(order.indexOf(later));
    expect(order).toContain(elsewhere);
    const dead = await drain(stack.clients.sqs, stack.deadLetterQueue.url);
    expect(dead.map((m) => JSON.parse(m.Body ?? '').callback.seq)).toEqual([poisoned]);
  });

  it('produces one effect when two consumers race on the same callback', async () => {
    const effects: string[] = [];
    onMixStopped.mockImplementation(async (event) => {
      await sleep(300);
      effects.push(stopSeq(event));
    });
    const fields = signedCallback({ timestamp: now(), task_id: `t${unique()}`, seq: String(unique()) });
    const [a, b] = [sqsRecord(fields), sqsRecord(fields)];
    const results = await Promise.all([
      consumer(sqsEvent(a), lambdaContext('consumer')),
      consumer(sqsEvent(b), lambdaContext('consumer')),
    ]);
    const failed = results.flatMap((r) => r.batchItemFailures.map((f) => f.itemIdentifier));
    expect(effects).toEqual([fields.seq]);
    // The loser is told to retry (its record stays on the queue); the retry finds it done.
    expect(failed).toHaveLength(1);
    const retried = failed[0] === a.messageId ? a : b;
    const retry = await consumer(sqsEvent(retried), lambdaContext('consumer'));
    expect(retry.batchItemFailures).toEqual([]);
    expect(effects).toEqual([fields.seq]);
  });

  it('applies two tasks that reuse a seq, each with its own hook call', async () => {
    const seq = String(unique());
    const [a, b] = [`t${unique()}`, `t${unique()}`];
    await deliver(signedMixStart({ timestamp: now(), task_id: a, seq }));
    await deliver(signedMixStart({ timestamp: now(), task_id: b, seq }));
    await settle();
    expect(onMixStarted.mock.calls.map(([event]) => event.callback.task_id).sort()).toEqual([a, b].sort());
    expect(await task(a)).toMatchObject({ status: 'running', seq });
    expect(await task(b)).toMatchObject({ status: 'running', seq });
  });

  it('moves a message it can never process to the DLQ at once, with the reason; its task goes on', async () => {
    const taskId = `t${unique()}`;
    const later = signedCallback({ timestamp: now(), task_id: taskId, seq: String(unique()) });
    const group = sqsRecord(later).attributes.MessageGroupId;
    await stack.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.queue.url,
        MessageBody: JSON.stringify({ version: 2, something: 'else' }),
        MessageGroupId: group,
        MessageDeduplicationId: `poison-${unique()}`,
      }),
    );
    await deliver(later);
    await settle();
    expect(onMixStopped).toHaveBeenCalledTimes(1);
    const [dead] = await drainWithAttributes(stack.deadLetterQueue.url);
    expect(dead?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(dead?.MessageAttributes?.['zego-failure']?.StringValue).toMatch(/version/);
    expect(dead?.Attributes?.MessageGroupId).toBe(group);
  });

  it('calls no hook again for a callback completed before the upgrade (old appid:event:seq key)', async () => {
    const [done, notDone] = [String(unique()), String(unique())];
    const taskId = `t${unique()}`;
    for (const seq of [done, notDone]) {
      const fields = signedCallback({ timestamp: now(), task_id: `${taskId}-${seq}`, seq });
      // What the consumer before the upgrade left: the task applied, and for `done` its record completed.
      await applyMixEvent(parseQueuedCallback(queuedBody(fields)).callback as QueuedMixStop, 'r', {
        tableName: stack.tables.tasks,
        stoppedRetentionSeconds: 0,
        client: stack.clients.dynamo,
      });
      if (seq === done) await completeUnderOldKey(`111111:mix_stop:${seq}`);
      await deliver(fields);
    }
    await settle();
    expect(onMixStopped.mock.calls.map(([event]) => stopSeq(event))).toEqual([notDone]);
  });
});

/** A completed idempotency record as the consumer wrote them before task_id joined the key. */
async function completeUnderOldKey(key: string) {
  const store = new DynamoDBPersistenceLayer({
    tableName: stack.tables.idempotency,
    awsSdkV3Client: stack.clients.dynamo,
  });
  const config = new IdempotencyConfig({ eventKeyJmesPath: 'idempotencyKey' });
  await makeIdempotent(async (_input: { idempotencyKey: string }) => ({ outcome: 'applied' }), {
    persistenceStore: store,
    config,
    keyPrefix: 'zego-callback',
  })({
    idempotencyKey: key,
  });
}

/** Every message of a queue with its system and message attributes. */
async function drainWithAttributes(queueUrl: string) {
  const { Messages = [] } = await stack.clients.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  return Messages;
}

describe('consumer handler, as deployed', () => {
  it('logs as service zego-mix-callbacks, function consumer, with no logger given, and counts its cold start', async () => {
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand'); // as Lambda sets it
    onTestFinished(() => {
      vi.unstubAllEnvs();
    });
    const stdout = capturedStdout();
    const plain = consumerHandler(stack, { onMixStarted, onMixStopped }, { logger: undefined });
    const record = sqsRecord(signedMixStart({ task_id: `logs-${unique()}`, seq: '1' }));
    await plain(sqsEvent(record), lambdaContext('consumer'));
    await plain(
      sqsEvent(sqsRecord(signedMixStart({ task_id: `logs-${unique()}`, seq: '1' }))),
      lambdaContext('consumer'),
    );
    const lines = stdout().split('\n');
    const logged = lines
      .filter((line) => line.startsWith('{') && !line.includes('"_aws"'))
      .map((line) => JSON.parse(line));
    expect(logged[0]).toMatchObject({
      outcome: 'applied',
      service: 'zego-mix-callbacks',
      function: 'consumer',
    });
    expect(parseEmf(lines.join('\n')).filter((m) => m.name === 'ColdStart')).toHaveLength(1);
  });

  it('keeps a stopped task for TASK_RETENTION_DAYS (90 by default)', async () => {
    const taskId = `retained-${unique()}`;
    const before = Math.floor(Date.now() / 1000);
    await consumer(
      sqsEvent(sqsRecord(signedCallback({ task_id: taskId, seq: '1' }))),
      lambdaContext('consumer'),
    );
    const stopped = await task(taskId);
    expect(stopped?.expiresAt).toBeGreaterThanOrEqual(before + 90 * 86_400);
    expect(stopped?.expiresAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 90 * 86_400);
  });
});
