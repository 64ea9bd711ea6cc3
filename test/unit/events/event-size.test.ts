import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type EventDetail, mixStoppedDetail } from '../../../lib/events/event-detail';
import { EVENT_SOURCE } from '../../../lib/events/names';
import { entrySize, eventPublisher, MAX_ENTRY_BYTES } from '../../../lib/events/publish';
import { withRunEvents } from '../../../lib/events/publishing-hooks';
import type { HookContext } from '../../../lib/hook-contract';
import { createMetrics } from '../../../lib/metrics';
import {
  encodeMessageBody,
  isMixStart,
  isMixStop,
  parseQueuedCallback,
  type QueuedMixStart,
  type QueuedMixStop,
  toQueuedCallback,
} from '../../../lib/queue/message';
import type { MixTask } from '../../../lib/store/task-item';
import { parseCallback } from '../../../lib/zego/callback-schema';
import { decodeBody, MAX_BODY_BYTES, MAX_LIST_ITEMS } from '../../../lib/zego/decode-body';

/**
 * The largest events this pipeline can build from callbacks that ingest accepts: form bodies of
 * MAX_BODY_BYTES, every documented field at its cap, the rest in unknown fields (kept), each value
 * made of `char`. Each goes the way a callback goes: decoded, validated, queued, read back.
 */
function largest(event: 'mix_start' | 'mix_stop', char: string) {
  const pairs = [
    'appid=111111',
    `event=${event}`,
    'seq=123456789',
    'timestamp=1689835223',
    'nonce=7257787020413449571',
    `signature=${'a'.repeat(40)}`,
  ];
  let left = MAX_BODY_BYTES - pairs.join('&').length;
  const charBytes = Buffer.byteLength(char);
  const add = (name: string, max: number) => {
    const count = Math.min(max, Math.floor((left - name.length - 2) / charBytes));
    if (count <= 0) return;
    pairs.push(`${name}=${char.repeat(count)}`);
    left -= name.length + 2 + count * charBytes;
  };
  add('task_id', 4096);
  for (const name of ['channel_id', 'publish_id', 'mix_url', 'mix_stream_alias']) add(name, 2048);
  if (event === 'mix_start') {
    for (const name of ['stream_alias', 'rtmp_url', 'hls_url', 'hdl_url']) add(name, 2048);
    for (const list of ['rtmp_urls', 'hls_urls', 'hdl_urls'])
      for (let i = 0; i < MAX_LIST_ITEMS / 3; i++) add(`${list}[]`, 2048);
  }
  for (let i = 0; left > 16 + charBytes; i++) add(`x${i}`, 4096);
  const body = pairs.join('&');
  expect(Buffer.byteLength(body)).toBeGreaterThan(MAX_BODY_BYTES - 16);
  const { callback } = parseCallback(decodeBody({ body }));
  return parseQueuedCallback(encodeMessageBody(toQueuedCallback(callback, Date.UTC(2023, 6, 20))));
}
function largestStart(char: string): QueuedMixStart {
  const message = largest('mix_start', char);
  if (!isMixStart(message)) throw new Error('not a mix_start');
  return message.callback;
}
function largestStop(char: string): QueuedMixStop {
  const message = largest('mix_stop', char);
  if (!isMixStop(message)) throw new Error('not a mix_stop');
  return message.callback;
}

/** The task as the store keeps it after a start and then a stop (lib/store/task-writes.ts copies these). */
function storedTask(start: QueuedMixStart, stop: QueuedMixStop): MixTask {
  const urls = (list: string[] | undefined, one: string | undefined) => [
    ...(list ?? []),
    ...(one ? [one] : []),
  ];
  return {
    appid: start.appid,
    task_id: start.task_id,
    status: 'stopped',
    seq: stop.seq,
    runId: `${start.appid}:${start.task_id}:${start.seq}`,
    startSeq: start.seq,
    stopSeq: stop.seq,
    startedAt: Number(start.timestamp),
    stoppedAt: Number(stop.timestamp),
    startReceivedAt: '2023-07-20T00:00:00.000Z',
    stopReceivedAt: '2023-07-20T00:00:00.000Z',
    stream_alias: start.stream_alias,
    rtmp_urls: urls(start.rtmp_urls, start.rtmp_url),
    hls_urls: urls(start.hls_urls, start.hls_url),
    hdl_urls: urls(start.hdl_urls, start.hdl_url),
    // A stop's fields replace the start's.
    channel_id: stop.channel_id,
    publish_id: stop.publish_id,
    mix_url: stop.mix_url,
    mix_stream_alias: stop.mix_stream_alias,
    updatedAt: '2023-07-20T00:00:00.000Z',
    stoppedBy: 'callback',
  };
}

/** The entry size of each event the consumer publishes for a run made of these two callbacks. */
async function entrySizes(char: string) {
  const start = largestStart(char);
  const stop = largestStop(char);
  const task = storedTask(start, stop);
  const details: EventDetail[] = [];
  const hooks = withRunEvents(
    { onMixStarted: async () => {}, onMixStopped: async () => {} },
    async (_type, detail) => void details.push(detail),
  );
  const context: HookContext = {
    idempotencyKey: `111111:${start.task_id}:mix_start:123456789`,
    receivedAt: '2023-07-20T00:00:00.000Z',
    logger: new Logger({ logLevel: 'SILENT' }),
    remainingTimeMs: () => 10_000,
  };
  const runId = task.runId;
  await hooks.onMixStarted({ runId, callback: start, task }, context);
  await hooks.onMixUpdated?.({ runId, callback: start, task }, context);
  await hooks.onMixStopped({ inferred: false, runId, callback: stop, task }, context);
  const sized = (detail: EventDetail) =>
    entrySize({ Source: EVENT_SOURCE, DetailType: 'Mix Updated', Detail: JSON.stringify(detail) });
  return { sizes: details.map(sized), details };
}

const eventBridge = mockClient(EventBridgeClient);
beforeEach(() => eventBridge.reset());

describe('the size of an event built from a callback ingest accepts', () => {
  it('stays below two thirds of 256 KB for any printable text, even text JSON escapes', async () => {
    // A stop's detail holds its callback (32 KiB of body at most) and the task (what the start
    // carried, 32 KiB at most): 64 KiB of text, up to twice that once JSON escapes '"' and '\\'.
    // Genuine callbacks are ~1-6 KB (docs/endpoint-and-data.md).
    for (const char of ['a', 'é', '😀', '"', '\\']) {
      const { sizes } = await entrySizes(char);
      expect(sizes, char).toHaveLength(3);
      for (const size of sizes) expect(size, char).toBeLessThan((MAX_ENTRY_BYTES * 2) / 3);
    }
  });

  it('can pass 256 KB only with control characters (6 bytes each in JSON): then published truncated, never refused', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const { sizes, details } = await entrySizes('\u0001');
    expect(Math.max(...sizes)).toBeGreaterThan(MAX_ENTRY_BYTES);
    const publish = eventPublisher({
      busName: 'the-bus',
      client: new EventBridgeClient({ region: 'us-east-1' }),
      metrics: createMetrics('consumer', 'test'),
      logger: new Logger({ logLevel: 'SILENT' }),
    });
    const [, , stopped] = details as [EventDetail, EventDetail, EventDetail];
    await publish('Mix Stopped', stopped);
    const [entry] = eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries?.[0]);
    expect(entrySize(entry ?? {})).toBeLessThanOrEqual(MAX_ENTRY_BYTES);
    const sent = JSON.parse(entry?.Detail ?? '{}');
    expect(sent.truncated.bytes).toBeGreaterThan(MAX_ENTRY_BYTES);
    expect(mixStoppedDetail.safeParse(sent).success).toBe(true);
    // Ids, seqs and times stay; the fields made of control characters go.
    expect(sent.callback).toEqual({
      appid: '111111',
      event: 'mix_stop',
      seq: '123456789',
      timestamp: '1689835223',
      nonce: '7257787020413449571',
      task_id: stopped.task_id,
    });
    expect(sent.task).not.toHaveProperty('mix_url');
    expect(sent.task).toMatchObject({ status: 'stopped', runId: stopped.runId, stopSeq: '123456789' });
  });
});
