import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Hooks, MixStoppedEvent } from '../../lib/hook-contract';
import { prepareMessage, sendMessage } from '../../lib/queue/enqueue';
import { getTask } from '../../lib/store/task-reads';
import { parseCallback } from '../../lib/zego/callback-schema';
import { lambdaContext } from '../../tools/local-stack/lambda-context';
import type { FakeZegoServerApi } from '../../tools/zego-fake/server-api';
import { apiGatewayEvent, encode, signedCallback, signedMixStart } from '../support/callbacks';
import { consumerHandler, ingestHandler, type LocalStack, startLocalStack } from '../support/local-stack';
import { capturedMetrics, total } from '../support/metrics';
import { APPID, orphansHandler, settle, startFakeZego } from '../support/reconcile';

// The real ingest, consumer and orphans handlers against fauxqs, DynamoDB Local and the loopback fake
// of ZEGO's server API. Mixes start with a genuine mix_start through ingest (its clock-skew check off,
// so a start can be 30 minutes old); the fake is told which mixes run, and killMix is a mix that died
// abnormally: it no longer exists and no mix_stop comes.
let stack: LocalStack;
let zego: FakeZegoServerApi;
let ingest: ReturnType<typeof ingestHandler>;
let consumer: ReturnType<typeof consumerHandler>;
const onMixStarted = vi.fn<Hooks['onMixStarted']>();
const onMixStopped = vi.fn<Hooks['onMixStopped']>();

beforeAll(async () => {
  stack = await startLocalStack({ VisibilityTimeout: '1' });
  zego = await startFakeZego();
  ingest = ingestHandler(stack, { env: { ZEGO_MAX_CLOCK_SKEW_SECONDS: '0' } });
  consumer = consumerHandler(stack, { onMixStarted, onMixStopped });
});
afterAll(async () => {
  await zego?.stop();
  await stack?.stop();
});
afterEach(() => {
  zego.setFault('none');
  onMixStarted.mockReset();
  onMixStopped.mockReset();
});

const MINUTE = 60;
/** Each test uses tasks and seqs of its own: SQS and the idempotency table remember messages. */
let counter = 0;
const unique = () => `r${++counter}`;
const nowSeconds = () => Math.floor(Date.now() / 1000);

async function deliver(fields: Record<string, unknown>) {
  const result = await ingest(apiGatewayEvent(encode.json(fields)), lambdaContext('ingest'));
  expect(result.statusCode).toBe(200);
}

/**
 * A mix started `minutesAgo`, its mix_start processed; ZEGO knows it under `knownAs` (the id as
 * the callbacks carry it, `<appid>:<id>`, unless told otherwise; null: ZEGO does not know it).
 */
async function startMix(
  id: string,
  { minutesAgo = 30, seq = '100', knownAs = `${APPID}:${id}` as string | null } = {},
) {
  const taskId = `${APPID}:${id}`;
  await deliver(
    signedMixStart({ task_id: taskId, seq, timestamp: String(nowSeconds() - minutesAgo * MINUTE) }),
  );
  if (knownAs !== null) zego.startMix(APPID, knownAs);
  await settle(stack, consumer);
  return taskId;
}

const task = (taskId: string) =>
  getTask(APPID, taskId, { tableName: stack.tables.tasks, client: stack.clients.dynamo });
const stopsOf = (taskId: string) =>
  onMixStopped.mock.calls.map(([event]) => event).filter((event) => event.task.task_id === taskId);

/**
 * One scheduled check with reconciliation on, then the consumer until the queue is empty. `later`:
 * the check runs that many seconds from now (a task ZEGO could not answer for is asked again on the
 * next check, a second or more later).
 */
async function check(env: Record<string, string> = {}, later = 0) {
  const { metrics, emitted } = capturedMetrics('orphans');
  await orphansHandler(stack, zego.url, { env, metrics, now: () => Date.now() + later * 1000 })();
  await settle(stack, consumer);
  return emitted();
}

describe('reconciliation through the real handlers', () => {
  it('stops a mix that died abnormally and calls onMixStopped once, inferred; a running mix is untouched', async () => {
    const dead = await startMix(unique());
    const alive = await startMix(unique());
    zego.killMix(APPID, dead);

    const out = await check();
    expect(await task(dead)).toMatchObject({
      status: 'stopped',
      stoppedBy: 'reconciliation',
      reconciledAt: expect.any(String),
      stoppedAt: expect.any(Number),
      seq: '100',
    });
    expect(await task(dead)).not.toHaveProperty('runningSince');
    expect(await task(alive)).toMatchObject({ status: 'running' });
    expect(stopsOf(dead)).toEqual([
      expect.objectContaining({ inferred: true, reconciledAt: (await task(dead))?.reconciledAt }),
    ]);
    expect(stopsOf(dead)[0]).not.toHaveProperty('callback');
    expect(stopsOf(alive)).toEqual([]);
    expect(total(out, 'ReconcileEnqueued')).toBe(1);
    expect(total(out, 'ReconcileLookupsFailed')).toBe(0);

    // The next check: the stopped task is no longer running; the hook is not called again.
    await check();
    expect(stopsOf(dead)).toHaveLength(1);
  });

  it('leaves alone a mix younger than the grace period, without asking ZEGO', async () => {
    const young = await startMix(unique(), { minutesAgo: 2, knownAs: null });
    await check();
    expect(await task(young)).toMatchObject({ status: 'running' });
    expect(zego.requests().filter((r) => r.taskId?.endsWith(young.slice(APPID.length + 1)))).toEqual([]);
    expect(stopsOf(young)).toEqual([]);
  });

  it.each([
    ['fails (110200001)', 'retry'],
    ['is overloaded (110200194)', 'throttle'],
    ['answers HTTP 500', 'http500'],
    ['answers something that is not JSON', 'garbage'],
    ['redirects', 'redirect'],
    ['answers 64 MiB', 'oversized'],
    ['gives Code twice (running, then not found)', 'duplicateCode'],
  ] as const)(
    'changes nothing when ZEGO %s, and stops the mix on the next check once ZEGO answers',
    async (_case, fault) => {
      const dead = await startMix(unique());
      zego.killMix(APPID, dead);
      zego.setFault(fault);
      const out = await check();
      expect(await task(dead)).toMatchObject({ status: 'running' });
      expect(stopsOf(dead)).toEqual([]);
      expect(total(out, 'ReconcileLookupsFailed')).toBeGreaterThanOrEqual(1);

      zego.setFault('none');
      await check({}, 2);
      expect(await task(dead)).toMatchObject({ status: 'stopped', stoppedBy: 'reconciliation' });
      expect(stopsOf(dead)).toHaveLength(1);
    },
  );

  it('changes nothing with a wrong ServerSecret (ZEGO: signature wrong)', async () => {
    const dead = await startMix(unique());
    zego.killMix(APPID, dead);
    const out = await check({ ZEGO_SERVER_SECRET: 'fixture-wrong-server-secret' });
    expect(await task(dead)).toMatchObject({ status: 'running' });
    expect(stopsOf(dead)).toEqual([]);
    expect(total(out, 'ReconcileLookupsFailed')).toBeGreaterThanOrEqual(1);
    expect(zego.requests().at(-1)?.code).toBe(100000005);
  });

  it('changes nothing when ZEGO does not answer, and gives up on it after the timeout', async () => {
    const dead = await startMix(unique());
    zego.killMix(APPID, dead);
    zego.setFault('hang');
    const started = Date.now();
    const out = await check({ ZEGO_SERVER_API_TIMEOUT_MS: '200' });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await task(dead)).toMatchObject({ status: 'running' });
    expect(stopsOf(dead)).toEqual([]);
    expect(total(out, 'ReconcileLookupsFailed')).toBeGreaterThanOrEqual(1);
  });

  it('records a late genuine mix_stop after a reconciled stop, its seq and time, and calls no second hook', async () => {
    const dead = await startMix(unique());
    zego.killMix(APPID, dead);
    await check();
    const reconciled = await task(dead);
    expect(stopsOf(dead)).toHaveLength(1);

    const stoppedAt = nowSeconds() - 30;
    await deliver(signedCallback({ task_id: dead, seq: '101', timestamp: String(stoppedAt) }));
    await settle(stack, consumer);
    // The run's stop stays the reconciliation's (its hook ran), with the genuine stop's time.
    expect(await task(dead)).toMatchObject({
      status: 'stopped',
      seq: '101',
      runId: reconciled?.runId,
      stoppedBy: 'reconciliation',
      reconciledAt: reconciled?.reconciledAt,
      stoppedAt,
      stopReceivedAt: expect.any(String),
    });
    expect(stopsOf(dead)).toHaveLength(1);
  });

  it('runs a task again after a reconciled stop when a new mix_start comes, with a hook for each run', async () => {
    const id = unique();
    const taskId = await startMix(id);
    zego.killMix(APPID, taskId);
    await check();
    expect(stopsOf(taskId)).toEqual([expect.objectContaining({ inferred: true })]);

    await startMix(id, { seq: '200', minutesAgo: 1 });
    const again = await task(taskId);
    expect(again).toMatchObject({ status: 'running', seq: '200' });
    expect(again).not.toHaveProperty('reconciledAt');
    expect(again).not.toHaveProperty('stoppedBy');
    expect(onMixStarted.mock.calls.filter(([event]) => event.task.task_id === taskId)).toHaveLength(2);

    // The new run ends with its own genuine mix_stop: onMixStopped runs for it.
    await deliver(signedCallback({ task_id: taskId, seq: '201', timestamp: String(nowSeconds()) }));
    await settle(stack, consumer);
    expect(stopsOf(taskId).map((event: MixStoppedEvent) => event.inferred)).toEqual([true, false]);
  });

  it('lets a new mix_start queued before the reconciliation win: the reconciliation is stale, no hook', async () => {
    const id = unique();
    const taskId = await startMix(id);
    zego.killMix(APPID, taskId);
    // The new run's start waits in the queue while the check reads the old run as running.
    await deliver(signedMixStart({ task_id: taskId, seq: '300', timestamp: String(nowSeconds()) }));
    await orphansHandler(stack, zego.url)();
    await settle(stack, consumer);
    expect(await task(taskId)).toMatchObject({ status: 'running', seq: '300' });
    expect(stopsOf(taskId)).toEqual([]);
  });

  it('asks under both task-id forms: known as the bare id it stays running; known under neither it stops', async () => {
    const bare = unique();
    const knownBare = await startMix(bare, { knownAs: bare });
    const unknown = await startMix(unique(), { knownAs: null });
    await check();
    expect(await task(knownBare)).toMatchObject({ status: 'running' });
    expect(stopsOf(knownBare)).toEqual([]);
    expect(await task(unknown)).toMatchObject({ status: 'stopped', stoppedBy: 'reconciliation' });
    expect(stopsOf(unknown)).toHaveLength(1);
    // Both forms were asked for the first: the prefixed one (not found), then the bare one.
    expect(
      zego
        .requests()
        .filter((r) => r.taskId === knownBare || r.taskId === bare)
        .map((r) => r.taskId),
    ).toEqual(expect.arrayContaining([knownBare, bare]));
  });

  it('stops none of a mix ZEGO knows under a %41-holding id, whichever form its callbacks carried', async () => {
    // ZEGO knows `<id>-p%41`; its callbacks may carry it as is, or percent-encoded (`-p%2541`), and
    // the task is kept as sent. Queued directly, as ingest queues a callback it keeps as sent.
    const known = `${unique()}-p%41`;
    const encoded = `${unique()}-p%41`;
    zego.startMix(APPID, known);
    zego.startMix(APPID, encoded);
    const asSent = [`${APPID}:${known}`, `${APPID}:${encodeURIComponent(encoded)}`];
    for (const taskId of asSent) await queueMixStart(taskId);
    await settle(stack, consumer);

    const out = await check();
    for (const taskId of asSent) {
      expect(await task(taskId)).toMatchObject({ status: 'running' });
      expect(stopsOf(taskId)).toEqual([]);
    }
    expect(total(out, 'ReconcileEnqueued')).toBe(0);
    expect(total(out, 'ReconcileLookupsFailed')).toBe(0);
  });

  it('stops a %-holding task only once ZEGO knows none of its four forms', async () => {
    const id = unique();
    const taskId = `${APPID}:${id}-p%2541`;
    await queueMixStart(taskId);
    await settle(stack, consumer);
    const before = zego.requests().length;
    await check();
    expect(await task(taskId)).toMatchObject({ status: 'stopped', stoppedBy: 'reconciliation' });
    expect(stopsOf(taskId)).toHaveLength(1);
    const asked = zego
      .requests()
      .slice(before)
      .map((r) => r.taskId ?? '')
      .filter((asked) => asked.includes(`${id}-p`));
    expect(asked).toEqual([taskId, `${id}-p%2541`, `${APPID}:${id}-p%41`, `${id}-p%41`]);
  });

  it('asks ZEGO nothing about a task id too long to ask, leaves it running, and raises no failed lookup', async () => {
    const long = await startMix(`${unique()}-${'x'.repeat(1_100)}`, { knownAs: null });
    const before = zego.requests().length;
    const out = await check();
    expect(await task(long)).toMatchObject({ status: 'running' });
    expect(stopsOf(long)).toEqual([]);
    expect(
      zego
        .requests()
        .slice(before)
        .filter((r) => r.taskId?.includes('x'.repeat(1_100))),
    ).toEqual([]);
    expect(total(out, 'ReconcileUnaskable')).toBeGreaterThanOrEqual(1);
    expect(total(out, 'ReconcileLookupsFailed')).toBe(0);
  });
});

/** A mix_start 30 minutes old for `taskId`, queued with the id exactly as given. */
async function queueMixStart(taskId: string) {
  const fields = signedMixStart({
    task_id: taskId,
    seq: '100',
    timestamp: String(nowSeconds() - 30 * MINUTE),
  });
  const message = prepareMessage(parseCallback(fields).callback, Date.now());
  await sendMessage(message, { queueUrl: stack.queue.url, timeoutMs: 5_000, sqs: stack.clients.sqs });
}
