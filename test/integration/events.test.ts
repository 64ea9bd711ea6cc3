import { Logger } from '@aws-lambda-powertools/logger';
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEventBridgeClient } from '../../lib/events/eventbridge-client';
import { DETAIL_TYPES, EVENT_SOURCE } from '../../lib/events/names';
import type { Hooks } from '../../lib/hook-contract';
import { localCredentials } from '../../tools/local-stack/engines';
import { type BusEvent, type LocalEventBus, startLocalEventBus } from '../../tools/local-stack/event-bus';
import { lambdaContext } from '../../tools/local-stack/lambda-context';
import type { FakeZegoServerApi } from '../../tools/zego-fake/server-api';
import { apiGatewayEvent, encode, signedCallback, signedMixStart } from '../support/callbacks';
import { consumerHandler, ingestHandler, type LocalStack, startLocalStack } from '../support/local-stack';
import { APPID, orphansHandler, settle, startFakeZego } from '../support/reconcile';

// Run events through the real ingest, consumer and orphans handlers on fauxqs and DynamoDB Local,
// published by the real EventBridge client to the local stand-in of the bus
// (tools/local-stack/event-bus.ts), which checks each entry as PutEvents does. Whatever ZEGO and
// SQS repeat, and whether a run stops by its mix_stop or by reconciliation, each run has one
// Mix Started and one Mix Stopped (by eventId, and by delivery unless a hook failed after its publish).
let stack: LocalStack;
let bus: LocalEventBus;
let zego: FakeZegoServerApi;
let eventBridge: EventBridgeClient;
let ingest: ReturnType<typeof ingestHandler>;
let consumer: ReturnType<typeof consumerHandler>;
const onMixStarted = vi.fn<Hooks['onMixStarted']>();
const onMixStopped = vi.fn<Hooks['onMixStopped']>();

beforeAll(async () => {
  stack = await startLocalStack({ VisibilityTimeout: '1' });
  bus = await startLocalEventBus({ name: 'local-run-events' });
  zego = await startFakeZego();
  eventBridge = createEventBridgeClient({
    endpoint: bus.url,
    region: 'us-east-1',
    credentials: localCredentials,
  });
  ingest = ingestHandler(stack, { env: { ZEGO_MAX_CLOCK_SKEW_SECONDS: '0' } });
  consumer = consumerHandler(
    stack,
    { onMixStarted, onMixStopped },
    { env: { EVENT_BUS_NAME: bus.name }, eventBridge },
  );
});
afterAll(async () => {
  await zego?.stop();
  await bus?.stop();
  await stack?.stop();
});
afterEach(() => {
  onMixStarted.mockReset();
  onMixStopped.mockReset();
});

let counter = 0;
const unique = () => `${APPID}:ev${++counter}`;
const nowSeconds = () => Math.floor(Date.now() / 1000);

async function deliver(fields: Record<string, unknown>, times = 1) {
  for (let i = 0; i < times; i++) {
    const result = await ingest(apiGatewayEvent(encode.json(fields)), lambdaContext('ingest'));
    expect(result.statusCode).toBe(200);
  }
}

/** The events of a task on the bus, as `detail-type eventId` lines, in the order published. */
const eventsOf = (taskId: string): BusEvent[] => bus.events().filter((e) => e.detail.task_id === taskId);
const kinds = (taskId: string) => eventsOf(taskId).map((e) => e['detail-type']);
/** The events of a task counted per run and detail-type, once per eventId (what a consumer de-duplicating sees). */
function perRun(taskId: string) {
  const seen = new Map<string, BusEvent>();
  for (const event of eventsOf(taskId)) seen.set(String(event.detail.eventId), event);
  const counts: Record<string, Record<string, number>> = {};
  for (const event of seen.values()) {
    const run = String(event.detail.runId);
    counts[run] ??= {};
    counts[run][event['detail-type']] = (counts[run][event['detail-type']] ?? 0) + 1;
  }
  return counts;
}

describe('run events through the consumer', () => {
  it('publishes one Mix Started, one per update and one Mix Stopped per run, however often ZEGO repeats', async () => {
    const taskId = unique();
    const start = signedMixStart({ task_id: taskId, seq: '100' });
    await deliver(start, 3); // ZEGO's retries: the queue keeps one
    await settle(stack, consumer);
    await deliver(start); // again, after it was processed: the idempotency layer answers
    await deliver(signedMixStart({ task_id: taskId, seq: '101' }), 2); // an update, twice
    await deliver(signedCallback({ task_id: taskId, seq: '102' }), 2); // its stop, twice
    await deliver(signedCallback({ task_id: taskId, seq: '103' })); // StopMix called again: no event
    await deliver(start); // a stale start: no event
    await settle(stack, consumer);

    expect(kinds(taskId)).toEqual(['Mix Started', 'Mix Updated', 'Mix Stopped']);
    const [started, updated, stopped] = eventsOf(taskId) as [BusEvent, BusEvent, BusEvent];
    const runId = `${APPID}:${taskId}:100`;
    expect(started).toMatchObject({
      source: EVENT_SOURCE,
      'event-bus': bus.name,
      detail: {
        version: 1,
        eventId: `${APPID}:${taskId}:mix_start:100`,
        runId,
        appid: APPID,
        task_id: taskId,
        callback: { event: 'mix_start', seq: '100' },
        task: { status: 'running', runId },
      },
    });
    expect(updated.detail).toMatchObject({ runId, eventId: `${APPID}:${taskId}:mix_start:101` });
    expect(stopped.detail).toMatchObject({
      runId,
      inferred: false,
      eventId: `${APPID}:${taskId}:mix_stop:102`,
      callback: { event: 'mix_stop', seq: '102' },
      task: { status: 'stopped', stopSeq: '102' },
    });
    // The signature never leaves ingest.
    expect(JSON.stringify(bus.events())).not.toMatch(/signature/);
    expect(onMixStarted).toHaveBeenCalledTimes(1);
    expect(onMixStopped).toHaveBeenCalledTimes(1);
  });

  it('publishes again, with the same eventId, when your hook fails after the publish and SQS redelivers', async () => {
    const taskId = unique();
    onMixStopped.mockRejectedValueOnce(new Error('your hook failed once'));
    await deliver(signedMixStart({ task_id: taskId, seq: '200' }));
    await deliver(signedCallback({ task_id: taskId, seq: '201' }));
    await settle(stack, consumer);

    expect(kinds(taskId)).toEqual(['Mix Started', 'Mix Stopped', 'Mix Stopped']);
    const [, first, again] = eventsOf(taskId) as [BusEvent, BusEvent, BusEvent];
    expect(again.detail.eventId).toBe(first.detail.eventId);
    expect(again.id).not.toBe(first.id); // EventBridge's own id differs: de-duplicate on detail.eventId
    expect(perRun(taskId)).toEqual({ [`${APPID}:${taskId}:200`]: { 'Mix Started': 1, 'Mix Stopped': 1 } });
    expect(onMixStopped).toHaveBeenCalledTimes(2);
  });

  it('retries the callback when the bus refuses its event, and calls your hook only once it is published', async () => {
    const taskId = unique();
    const refusedBefore = bus.refused();
    bus.refuseNext(1, 'ThrottlingException');
    await deliver(signedMixStart({ task_id: taskId, seq: '300' }));
    await settle(stack, consumer);

    // Refused once (PutEvents' 200 with FailedEntryCount), published on the redelivery; your hook,
    // which comes after the publish, ran once: not on the failed attempt.
    expect(bus.refused() - refusedBefore).toBe(1);
    expect(kinds(taskId)).toEqual(['Mix Started']);
    expect(onMixStarted).toHaveBeenCalledTimes(1);
  });
});

describe('run events of reconciliation and the orphan report', () => {
  /** One scheduled check (reconciliation on, asking the fake ZEGO), then the consumer until the queue is empty. */
  async function check(env: Record<string, string> = {}) {
    await orphansHandler(stack, zego.url, {
      env: { EVENT_BUS_NAME: bus.name, ...env },
      eventBridge,
      logger: new Logger({ logLevel: 'SILENT' }),
    })();
    await settle(stack, consumer);
  }

  it('publishes Mix Stopped, inferred, once for a mix reconciliation stops; a late mix_stop adds none', async () => {
    const taskId = unique();
    await deliver(signedMixStart({ task_id: taskId, seq: '400', timestamp: String(nowSeconds() - 1_800) }));
    await settle(stack, consumer);
    // ZEGO never knew it (the mix died): the check queues a reconciliation, the consumer stops it.
    await check();
    await check();
    await deliver(signedCallback({ task_id: taskId, seq: '401' }));
    await settle(stack, consumer);

    expect(kinds(taskId)).toEqual(['Mix Started', 'Mix Stopped']);
    expect(eventsOf(taskId)[1]?.detail).toMatchObject({
      inferred: true,
      eventId: `${APPID}:${taskId}:#reconcile:400`,
      reconciledAt: expect.any(String),
      task: { status: 'stopped', stoppedBy: 'reconciliation' },
    });
    expect(eventsOf(taskId)[1]?.detail).not.toHaveProperty('callback');
  });

  it('publishes Mix Orphaned once per run, from the check, with an id stable per run', async () => {
    const taskId = unique();
    await deliver(signedMixStart({ task_id: taskId, seq: '500', timestamp: String(nowSeconds() - 1_800) }));
    zego.startMix(APPID, taskId); // ZEGO still runs it: reconciliation leaves it, the report takes it
    await settle(stack, consumer);
    await check({ ORPHAN_AFTER_MINUTES: '1' });
    await check({ ORPHAN_AFTER_MINUTES: '1' });

    expect(kinds(taskId)).toEqual(['Mix Started', 'Mix Orphaned']);
    expect(eventsOf(taskId)[1]?.detail).toMatchObject({
      eventId: `${APPID}:${taskId}:500:#orphaned`,
      runId: `${APPID}:${taskId}:500`,
      runningSeconds: expect.any(Number),
      task: { status: 'running' },
    });
    expect(Object.values(DETAIL_TYPES)).toContain(eventsOf(taskId)[1]?.['detail-type']);
  });
});

describe('the local stand-in of the bus', () => {
  const put = (Entries: Record<string, unknown>[]) => eventBridge.send(new PutEventsCommand({ Entries }));
  const entry = (extra: Record<string, unknown> = {}) => ({
    EventBusName: bus.name,
    Source: EVENT_SOURCE,
    DetailType: 'Mix Started',
    Detail: '{"task_id":"stand-in"}',
    ...extra,
  });

  it('fails an entry as PutEvents does: 200, FailedEntryCount, its ErrorCode; takes the others', async () => {
    const answer = await put([
      entry({ Detail: undefined }),
      entry({ Detail: '[1]' }),
      entry({ Source: 'aws.events' }),
      entry(),
    ]);
    expect(answer.FailedEntryCount).toBe(3);
    expect(answer.Entries?.map((e) => e.ErrorCode ?? 'taken')).toEqual([
      'InvalidArgument',
      'MalformedDetail',
      'NotAuthorizedForSourceException',
      'taken',
    ]);
    expect(answer.Entries?.[3]?.EventId).toEqual(expect.any(String));
  });

  it('refuses a whole request of more than 10 entries, past 256 KB, or for another bus', async () => {
    await expect(put(Array.from({ length: 11 }, () => entry()))).rejects.toThrow(/length between 1 and 10/);
    const big = entry({ Detail: JSON.stringify({ task_id: 'x'.repeat(262_144) }) });
    await expect(put([big])).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(put([entry({ EventBusName: 'another' })])).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});
