import { createHash, randomUUID } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';

/** A FIFO message as the event source mapping hands it to the function. */
export interface FifoMessage {
  body: string;
  groupId: string;
  deduplicationId: string;
  messageId?: string;
  receiptHandle?: string;
  receiveCount?: number;
  sequenceNumber?: string;
  sentTimestamp?: number;
  firstReceiveTimestamp?: number;
  queueArn?: string;
  region?: string;
}

/** An SQS FIFO record as Lambda delivers it, shaped as test/events/sqs/fifo-record.json. */
export function sqsFifoRecord({
  body,
  groupId,
  deduplicationId,
  messageId = randomUUID(),
  receiptHandle = messageId,
  receiveCount = 1,
  sequenceNumber = '18878027350649327616',
  sentTimestamp = Date.now(),
  firstReceiveTimestamp = sentTimestamp,
  queueArn = 'arn:aws:sqs:us-east-1:123456789012:zego-mix-callbacks-local-callbacks.fifo',
  region = 'us-east-1',
}: FifoMessage): SQSRecord {
  return {
    messageId,
    receiptHandle,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(sentTimestamp),
      SequenceNumber: sequenceNumber,
      MessageGroupId: groupId,
      SenderId: 'AROAEXAMPLE:zego-mix-callbacks-local-ingest',
      MessageDeduplicationId: deduplicationId,
      ApproximateFirstReceiveTimestamp: String(firstReceiveTimestamp),
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}
