import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { sqsFifoRecord } from '../aws-events/sqs';

type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

export interface MappingOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  region: string;
  handler: SqsHandler;
  context: () => Context;
  batchSize?: number;
  waitTimeSeconds?: number;
  onBatch?: (report: BatchReport) => void;
}

export interface BatchReport {
  received: number;
  deleted: number;
  failed: number;
  /** The handler threw: every record stays on the queue, as with Lambda. */
  error?: unknown;
}

/**
 * What Lambda's SQS event source mapping does for a FIFO queue with ReportBatchItemFailures,
 * for one batch: receive up to `batchSize`, invoke the handler, delete the records it did not
 * report as failed. Failed records are left alone: they come back after the visibility timeout,
 * and the queue's redrive policy moves them to the DLQ after maxReceiveCount, as on AWS.
 * A handler that throws, or reports an id that is not in the batch, fails the whole batch.
 *
 * (serverless-offline-sqs deletes the whole batch whatever the handler reports; that would lose
 * failed callbacks, so it is not used.)
 */
export async function pollOnce(options: MappingOptions): Promise<BatchReport> {
  const { sqs, queueUrl, batchSize = 10, waitTimeSeconds = 0 } = options;
  const messages = await receiveBatch(sqs, queueUrl, batchSize, waitTimeSeconds);
  if (messages.length === 0) return { received: 0, deleted: 0, failed: 0 };

  const records = messages.map((message) => toRecord(message, options));
  let failedIds: Set<string>;
  let error: unknown;
  try {
    const response = await options.handler({ Records: records }, options.context());
    const reported = (response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier);
    const known = new Set(records.map((record) => record.messageId));
    failedIds = reported.every((id) => known.has(id)) ? new Set(reported) : known;
  } catch (thrown) {
    error = thrown;
    failedIds = new Set(records.map((record) => record.messageId));
  }

  const done = messages.filter((message) => !failedIds.has(message.MessageId ?? ''));
  if (done.length > 0) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: done.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
      }),
    );
  }
  const report = {
    received: messages.length,
    deleted: done.length,
    failed: messages.length - done.length,
    error,
  };
  options.onBatch?.(report);
  return report;
}

/**
 * Polls until stopped. Batches run one at a time, like a mapping with maximum concurrency 1;
 * on AWS, batches of different message groups may run in parallel.
 */
export function startEventSourceMapping(options: MappingOptions): { stop: () => Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        await pollOnce({ waitTimeSeconds: 1, ...options });
      } catch (error) {
        if (running) options.onBatch?.({ received: 0, deleted: 0, failed: 0, error });
        await sleep(500);
      }
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

async function receiveBatch(sqs: SQSClient, queueUrl: string, batchSize: number, waitTimeSeconds: number) {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: batchSize,
      WaitTimeSeconds: waitTimeSeconds,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  return Messages;
}

function toRecord(message: Message, { queueArn, region }: MappingOptions): SQSRecord {
  const attributes = message.Attributes ?? {};
  return sqsFifoRecord({
    body: message.Body ?? '',
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    groupId: attributes.MessageGroupId ?? '',
    deduplicationId: attributes.MessageDeduplicationId ?? '',
    receiveCount: Number(attributes.ApproximateReceiveCount ?? 1),
    sequenceNumber: attributes.SequenceNumber,
    sentTimestamp: attributes.SentTimestamp ? Number(attributes.SentTimestamp) : undefined,
    firstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp
      ? Number(attributes.ApproximateFirstReceiveTimestamp)
      : undefined,
    queueArn,
    region,
  });
}
