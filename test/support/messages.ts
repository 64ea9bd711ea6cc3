import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { toQueuedCallback } from '../../lib/queue/message';
import { deduplicationId, messageGroupId } from '../../lib/queue/message-ids';
import { parseCallback } from '../../lib/zego/callback-schema';
import fifoRecord from '../events/sqs/fifo-record.json';
import { type CallbackFields, signedCallback, TEST_NOW_MS } from './callbacks';

/** The queue message body ingest writes for these callback fields. */
export function queuedBody(fields: CallbackFields = signedCallback(), receivedAtMs = TEST_NOW_MS): string {
  return JSON.stringify(toQueuedCallback(parseCallback(fields).callback, receivedAtMs));
}

let nextId = 1;

/** A real FIFO SQS record (as Lambda delivers it) carrying the message ingest would write. */
export function sqsRecord(
  fields: CallbackFields = signedCallback(),
  { body, messageId, receiveCount = 1 }: { body?: string; messageId?: string; receiveCount?: number } = {},
): SQSRecord {
  const { callback } = parseCallback(fields);
  const record = structuredClone(fifoRecord) as SQSRecord;
  record.messageId = messageId ?? `00000000-0000-4000-8000-${String(nextId++).padStart(12, '0')}`;
  record.body = body ?? queuedBody(fields);
  record.attributes.MessageGroupId = messageGroupId(callback);
  record.attributes.MessageDeduplicationId = deduplicationId(callback);
  record.attributes.ApproximateReceiveCount = String(receiveCount);
  return record;
}

export const sqsEvent = (...records: SQSRecord[]): SQSEvent => ({ Records: records });
