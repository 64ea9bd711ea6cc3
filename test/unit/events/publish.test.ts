import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { type MixOrphanedDetail, mixOrphanedDetail } from '../../../lib/events/event-detail';
import { DETAIL_TYPES, EVENT_SOURCE } from '../../../lib/events/names';
import {
  EventPublishError,
  EventTooLargeError,
  entrySize,
  eventPublisher,
  MAX_ENTRY_BYTES,
} from '../../../lib/events/publish';
import { capturedMetrics, total } from '../../support/metrics';

const eventBridge = mockClient(EventBridgeClient);
beforeEach(() => eventBridge.reset());

const RUN = '111111:111111:1111:123';
const detail = (extra: Partial<MixOrphanedDetail> = {}): MixOrphanedDetail => ({
  version: 1,
  eventId: `${RUN}:#orphaned`,
  runId: RUN,
  appid: '111111',
  task_id: '111111:1111',
  task: {
    appid: '111111',
    task_id: '111111:1111',
    status: 'running',
    seq: '123',
    runId: RUN,
    updatedAt: '2023-07-20T06:40:23.000Z',
  },
  runningSeconds: 14_400,
  ...extra,
});

function publisher() {
  const { metrics, emitted } = capturedMetrics('consumer');
  const logger = new Logger({ logLevel: 'SILENT' });
  const info = vi.spyOn(logger, 'info');
  const client = new EventBridgeClient({ region: 'us-east-1' });
  const publish = eventPublisher({ busName: 'the-bus', client, metrics, logger });
  return { publish, emitted, info };
}

/** What the promise rejects with; a test that expected a rejection fails when there is none. */
const thrown = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );

describe('entrySize', () => {
  it('counts UTF-8 bytes of Source, DetailType, Detail and each resource, and 14 for Time', () => {
    expect(entrySize({ Source: 'ab', DetailType: 'c', Detail: '{"é":1}' })).toBe(2 + 1 + 8); // é is two bytes
    expect(entrySize({ Source: 'ab', DetailType: 'c', Time: new Date(0), Resources: ['xy', 'z'] })).toBe(
      2 + 1 + 14 + 3,
    );
  });
});

describe('eventPublisher', () => {
  it('puts one entry on the bus: our source, the detail-type, the detail as JSON; counts it and logs it', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const { publish, emitted, info } = publisher();
    await publish(DETAIL_TYPES.orphaned, detail());
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(1);
    const [entry, ...others] = calls[0]?.args[0].input.Entries ?? [];
    expect(others).toEqual([]);
    expect(entry).toEqual({
      EventBusName: 'the-bus',
      Source: 'zego-mix-callbacks',
      DetailType: 'Mix Orphaned',
      Detail: JSON.stringify(detail()),
    });
    expect(total(emitted(), 'EventsPublished')).toBe(1);
    expect(total(emitted(), 'EventPublishFailed')).toBe(0);
    expect(info).toHaveBeenCalledWith(
      'event published',
      expect.objectContaining({ detailType: 'Mix Orphaned', eventId: `${RUN}:#orphaned`, runId: RUN }),
    );
  });

  it('fails with the entry’s ErrorCode and ErrorMessage when PutEvents answers 200 with FailedEntryCount', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
    });
    const { publish, emitted } = publisher();
    const error = await thrown(publish(DETAIL_TYPES.orphaned, detail()));
    expect(error).toBeInstanceOf(EventPublishError);
    expect((error as Error).message).toBe(
      `EventBridge refused the "Mix Orphaned" event ${RUN}:#orphaned (InternalFailure: try again)`,
    );
    expect(total(emitted(), 'EventPublishFailed')).toBe(1);
    expect(total(emitted(), 'EventsPublished')).toBe(0);
  });

  it('fails when the answer holds no event id for the entry, even with no FailedEntryCount', async () => {
    eventBridge.on(PutEventsCommand).resolves({ Entries: [{}] });
    const { publish, emitted } = publisher();
    await expect(publish(DETAIL_TYPES.orphaned, detail())).rejects.toThrow(
      `EventBridge refused the "Mix Orphaned" event ${RUN}:#orphaned (no event id: no message)`,
    );
    expect(total(emitted(), 'EventPublishFailed')).toBe(1);
  });

  it('fails on a FailedEntryCount alone, and on an ErrorCode alone', async () => {
    const { publish } = publisher();
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ EventId: 'e-1' }] })
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1', ErrorCode: 'InternalFailure' }] });
    await expect(publish(DETAIL_TYPES.orphaned, detail())).rejects.toThrow(EventPublishError);
    await expect(publish(DETAIL_TYPES.orphaned, detail())).rejects.toThrow(/\(InternalFailure: no message\)/);
  });

  it('fails, naming the event, when the call itself fails (throttled, unreachable)', async () => {
    eventBridge.on(PutEventsCommand).rejects(new Error('Rate exceeded'));
    const { publish, emitted } = publisher();
    const error = await thrown(publish(DETAIL_TYPES.orphaned, detail()));
    expect(error).toBeInstanceOf(EventPublishError);
    expect((error as Error).message).toBe(
      `the "Mix Orphaned" event ${RUN}:#orphaned could not be published: Rate exceeded`,
    );
    expect(total(emitted(), 'EventPublishFailed')).toBe(1);
  });

  it('publishes an entry of exactly 256 KB whole, and a larger one truncated to its ids, seqs and times', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const { publish, emitted } = publisher();
    const overhead = entrySize({
      Source: EVENT_SOURCE,
      DetailType: 'Mix Orphaned',
      Detail: JSON.stringify(detail({ task: { ...detail().task, mix_url: '' } })),
    });
    const filler = (bytes: number) =>
      detail({ task: { ...detail().task, mix_url: 'x'.repeat(bytes - overhead) } });
    await publish(DETAIL_TYPES.orphaned, filler(MAX_ENTRY_BYTES));
    await publish(DETAIL_TYPES.orphaned, filler(MAX_ENTRY_BYTES + 1));
    const [whole, cut] = eventBridge
      .commandCalls(PutEventsCommand)
      .map((call) => JSON.parse(call.args[0].input.Entries?.[0]?.Detail ?? '{}'));
    expect(whole.task.mix_url).toHaveLength(MAX_ENTRY_BYTES - overhead);
    expect(whole).not.toHaveProperty('truncated');
    expect(cut).toEqual({ ...detail(), truncated: { bytes: MAX_ENTRY_BYTES + 1 } });
    expect(mixOrphanedDetail.safeParse(cut).success).toBe(true);
    expect(total(emitted(), 'EventsPublished')).toBe(2);
  });

  it('refuses, before calling EventBridge, an entry over 256 KB even truncated (ids past their limits)', async () => {
    const { publish, emitted } = publisher();
    const error = await thrown(
      publish(DETAIL_TYPES.orphaned, detail({ task_id: 'x'.repeat(MAX_ENTRY_BYTES) })),
    );
    expect(error).toBeInstanceOf(EventTooLargeError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^the "Mix Orphaned" event ${RUN}:#orphaned would be a PutEvents entry of \\d+ bytes even truncated; EventBridge takes at most 262144$`,
      ),
    );
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
    expect(total(emitted(), 'EventPublishFailed')).toBe(1);
  });
});
