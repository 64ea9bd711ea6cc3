import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { QueueUnavailableError } from '../errors';
import type { ZegoCallback } from '../zego/callback-schema';
import { encodeMessageBody, type Reconciliation, toQueuedCallback, toQueuedReconciliation } from './message';
import { deduplicationId, messageGroupId, reconciliationDeduplicationId, taskGroupId } from './message-ids';
import { sqsClient } from './sqs-client';

/** A callback's queue message, built and checked against the queue's limits before anything is sent. */
export interface PreparedMessage {
  body: string;
  deduplicationId: string;
  groupId: string;
}

/** Throws BodyTooLargeError (413) when the message would not fit the queue. */
export function prepareMessage(callback: ZegoCallback, receivedAtMs: number): PreparedMessage {
  return {
    body: encodeMessageBody(toQueuedCallback(callback, receivedAtMs)),
    deduplicationId: deduplicationId(callback),
    groupId: messageGroupId(callback),
  };
}

/**
 * A reconciliation's queue message: in its task's group, so the consumer applies it in order with
 * the task's callbacks, and de-duplicated by its own identity, which no callback shares.
 */
export function prepareReconciliation(reconciliation: Reconciliation, queuedAtMs: number): PreparedMessage {
  return {
    body: encodeMessageBody(toQueuedReconciliation(reconciliation, queuedAtMs)),
    deduplicationId: reconciliationDeduplicationId(reconciliation),
    groupId: taskGroupId(reconciliation.appid, reconciliation.task_id),
  };
}

export interface SendOptions {
  queueUrl: string;
  /** Gives up (and the caller answers 503) when SQS has not confirmed by then. */
  timeoutMs: number;
  sqs?: SQSClient;
}

/**
 * Puts a prepared message on the FIFO queue. Resolves only once SQS has stored it; any failure or
 * timeout becomes a QueueUnavailableError, so a callback is never acknowledged unqueued.
 */
export async function sendMessage(
  message: PreparedMessage,
  { queueUrl, timeoutMs, sqs = sqsClient() }: SendOptions,
): Promise<{ messageId: string }> {
  let timer: NodeJS.Timeout | undefined;
  // Past the deadline the SDK call is aborted, not left to retry in the background: a callback
  // answered 503 must not be stored seconds later, after ZEGO may have given up on it. (One that
  // SQS stored before the abort is de-duplicated when ZEGO retries.)
  const abort = new AbortController();
  try {
    const send = sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: message.body,
        MessageDeduplicationId: message.deduplicationId,
        MessageGroupId: message.groupId,
      }),
      { abortSignal: abort.signal },
    );
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(new Error(`SQS did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    const output = await Promise.race([send, deadline]);
    if (!output.MessageId) throw new Error('SendMessage returned no MessageId');
    return { messageId: output.MessageId };
  } catch (error) {
    throw new QueueUnavailableError('the message could not be queued', { cause: error });
  } finally {
    clearTimeout(timer);
  }
}
