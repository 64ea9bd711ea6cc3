import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { prepareMessage } from '../../lib/queue/enqueue';
import { parseCallback } from '../../lib/zego/callback-schema';
import { sqsFifoRecord } from '../../tools/aws-events/sqs';
import { type CallbackFields, signedCallback, TEST_NOW_MS } from './callbacks';

/** The queue message body ingest writes for these callback fields. */
export function queuedBody(fields: CallbackFields = signedCallback(), receivedAtMs = TEST_NOW_MS): string {
  return prepareMessage(parseCallback(fields).callback, receivedAtMs).body;
}

let nextId = 1;

/** A FIFO SQS record (as Lambda delivers it) carrying the message ingest would write. */
export function sqsRecord(
  fields: CallbackFields = signedCallback(),
  { body, messageId, receiveCount = 1 }: { body?: string; messageId?: string; receiveCount?: number } = {},
): SQSRecord {
  const message = prepareMessage(parseCallback(fields).callback, TEST_NOW_MS);
  return sqsFifoRecord({
    body: body ?? message.body,
    messageId: messageId ?? `00000000-0000-4000-8000-${String(nextId++).padStart(12, '0')}`,
    groupId: message.groupId,
    deduplicationId: message.deduplicationId,
    receiveCount,
  });
}

export const sqsEvent = (...records: SQSRecord[]): SQSEvent => ({ Records: records });
