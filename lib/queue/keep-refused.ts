import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SignatureReusedError } from '../errors';
import { printable } from '../text/printable';
import { FAILURE_ATTRIBUTE } from './dead-letter';
import type { PreparedMessage } from './enqueue';
import { sqsClient } from './sqs-client';

/** On a refused body: its digest (a SHA-256, lib/zego/callback-identity.ts), and that of the body holding its signature. */
export const BODY_HASH_ATTRIBUTE = 'zego-body-hash';
export const HELD_BODY_HASH_ATTRIBUTE = 'zego-held-body-hash';
/** The message group it would have had on the callback queue, for a replay. */
export const GROUP_ATTRIBUTE = 'zego-group';

/** Keeps a refused body for the operator; throws if SQS did not take it. */
export type KeepRefused = (message: PreparedMessage, refusal: SignatureReusedError) => Promise<void>;

/**
 * A body refused because another body holds its signature goes to the refused-callbacks queue as
 * the queue message it would have been (never with its signature), so that a genuine callback that a
 * forgery pre-empted is not lost: the operator compares the two (docs/operations.md) and replays the
 * genuine one. Not the DLQ: a redrive must never process a forgery. Each of ZEGO's retries of a
 * refused body is kept (the hashes tell them apart from other bodies); a replay is taken once.
 */
export function sqsKeepRefused({ queueUrl, sqs }: { queueUrl: string; sqs?: SQSClient }): KeepRefused {
  return async (message, refusal) => {
    const { bodyHash, heldBodyHash } = refusal.hashes;
    await (sqs ?? sqsClient()).send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: message.body,
        MessageAttributes: {
          [GROUP_ATTRIBUTE]: { DataType: 'String', StringValue: message.groupId },
          [FAILURE_ATTRIBUTE]: {
            DataType: 'String',
            StringValue: printable(`${refusal.reason}: ${refusal.message}`, 256),
          },
          [BODY_HASH_ATTRIBUTE]: { DataType: 'String', StringValue: bodyHash },
          [HELD_BODY_HASH_ATTRIBUTE]: { DataType: 'String', StringValue: heldBodyHash ?? 'unknown' },
        },
      }),
    );
  };
}
