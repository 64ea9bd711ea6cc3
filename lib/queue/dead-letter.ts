import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { printable } from '../text/printable';
import { sqsClient } from './sqs-client';

/** The message attribute saying why a message was sent to the dead-letter (or refused) queue. */
export const FAILURE_ATTRIBUTE = 'zego-failure';

/** Moves one record to the dead-letter queue now; throws if SQS did not take it (the record then fails). */
export type DeadLetter = (record: SQSRecord, reason: string) => Promise<void>;

/**
 * A message that can never be processed goes to the dead-letter queue at once, with the reason,
 * instead of failing maxReceiveCount times (5 x 180 s) while it holds its task's later callbacks
 * back. It keeps its group; the de-duplication id is the original message's id.
 */
export function sqsDeadLetter({ queueUrl, sqs }: { queueUrl: string; sqs?: SQSClient }): DeadLetter {
  return async (record, reason) => {
    await (sqs ?? sqsClient()).send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: record.body,
        MessageGroupId: record.attributes.MessageGroupId ?? record.messageId,
        MessageDeduplicationId: `poison:${record.messageId}`,
        MessageAttributes: {
          [FAILURE_ATTRIBUTE]: { DataType: 'String', StringValue: printable(reason, 256) },
        },
      }),
    );
  };
}
