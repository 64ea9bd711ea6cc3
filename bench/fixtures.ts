/**
 * What the benchmark sends, from the builders the CLI and the tests use: ZEGO's signed callbacks
 * (tools/zego-fake), API Gateway events and SQS records (tools/aws-events).
 */
import type { APIGatewayProxyEventV2, SQSEvent } from 'aws-lambda';
import { type PreparedMessage, prepareMessage } from '../lib/queue/enqueue';
import { parseCallback } from '../lib/zego/callback-schema';
import { httpApiEvent } from '../tools/aws-events/http-api';
import { sqsFifoRecord } from '../tools/aws-events/sqs';
import { buildCallback, encodeCallback } from '../tools/zego-fake/callbacks';

/** Obviously fake; the benchmark's stack is configured with it. */
export const BENCH_SECRET = 'bench-secret-not-real';

let seq = Date.now();

/**
 * A signed callback timestamped now, with a seq never used before: a mix_stop of a task of its own
 * unless told otherwise, so new to every store it reaches.
 */
export function benchCallback({
  event = 'mix_stop',
  taskId,
}: {
  event?: 'mix_start' | 'mix_stop';
  taskId?: string;
} = {}): Record<string, string | string[]> {
  seq += 1;
  return buildCallback({
    event,
    appid: '111111',
    taskId: taskId ?? `bench-${seq}`,
    seq: String(seq),
    secret: BENCH_SECRET,
  });
}

/** ZEGO's POST of a fresh callback, as API Gateway hands it to ingest. */
export function benchApiEvent(): APIGatewayProxyEventV2 {
  const { body, contentType } = encodeCallback(benchCallback(), 'json');
  return httpApiEvent({ body, headers: { 'content-type': contentType } });
}

/** A batch of `size` queued callbacks, each of its own task (so its own message group). */
export function benchSqsEvent(size: number): SQSEvent {
  return {
    Records: Array.from({ length: size }, () => {
      const { body, groupId, deduplicationId } = benchQueuedMessage();
      return sqsFifoRecord({ body, groupId, deduplicationId });
    }),
  };
}

/** The queue message ingest would send for a fresh callback: body, de-duplication and group ids. */
export function benchQueuedMessage(): PreparedMessage {
  return prepareMessage(parseCallback(benchCallback()).callback, Date.now());
}
