import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { LocalStack } from './stack';

/**
 * The local SQS engine keeps its queues in memory; `npm start --data DIR` keeps them across a
 * restart with this: at Ctrl-C, once nothing consumes them, every message each queue holds is
 * taken out in order and written to a file; at the next start, sent again to the same queues, with
 * its FIFO group and de-duplication id and its attributes. So callbacks waiting, dead-lettered or
 * refused are still there after a restart, for `zego dlq redrive` and `zego dlq replay`. A message's
 * receive count starts again at 0 (SQS keeps no way to set it).
 */

interface SavedMessage {
  body: string;
  groupId?: string;
  deduplicationId?: string;
  attributes?: Record<string, MessageAttributeValue>;
}

/** Queue name (the logical id, e.g. CallbackDeadLetterQueue) to its URL in this stack. */
export type QueueUrls = Record<string, string>;

/** The stack's queues by logical id. */
export function localQueueUrls(stack: LocalStack): QueueUrls {
  return {
    CallbackQueue: stack.queue.url,
    CallbackDeadLetterQueue: stack.deadLetterQueue.url,
    RefusedCallbacksQueue: stack.refusedQueue.url,
  };
}

/**
 * Takes every message out of each queue, in the order a consumer would get them, and writes them to
 * `file`. Messages a consumer held when it stopped come back after their visibility timeout; this
 * waits for them up to `inFlightWaitMs`. Returns how many it saved per queue.
 */
export async function saveQueues(
  sqs: SQSClient,
  queues: QueueUrls,
  file: string,
  { inFlightWaitMs = 10_000, now = Date.now } = {},
): Promise<Record<string, number>> {
  const saved: Record<string, SavedMessage[]> = {};
  for (const [name, url] of Object.entries(queues)) {
    const messages: SavedMessage[] = [];
    const deadline = now() + inFlightWaitMs;
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: 10,
          MessageSystemAttributeNames: ['MessageGroupId', 'MessageDeduplicationId'],
          MessageAttributeNames: ['All'],
          VisibilityTimeout: 30,
          WaitTimeSeconds: 0,
        }),
      );
      for (const message of Messages) {
        messages.push({
          body: message.Body ?? '',
          groupId: message.Attributes?.MessageGroupId,
          deduplicationId: message.Attributes?.MessageDeduplicationId,
          attributes: message.MessageAttributes,
        });
        // Deleted once recorded: a FIFO group gives its next message only when this one is gone.
        await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }));
      }
      if (Messages.length > 0) continue;
      if ((await inFlight(sqs, url)) === 0 || now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    saved[name] = messages;
  }
  const partial = `${file}.${process.pid}`;
  writeFileSync(partial, `${JSON.stringify(saved)}\n`, { mode: 0o600 });
  renameSync(partial, file);
  return Object.fromEntries(Object.entries(saved).map(([name, messages]) => [name, messages.length]));
}

async function inFlight(sqs: SQSClient, url: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

/**
 * Sends the messages `file` holds back to the queues of the same names, in their order, then
 * removes the file (a second start must not send them twice). Returns how many it restored per
 * queue; none when there is no file.
 */
export async function restoreQueues(
  sqs: SQSClient,
  queues: QueueUrls,
  file: string,
): Promise<Record<string, number>> {
  if (!existsSync(file)) return {};
  const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, SavedMessage[]>;
  const restored: Record<string, number> = {};
  for (const [name, messages] of Object.entries(saved)) {
    const url = queues[name];
    if (!url) throw new Error(`${file} holds messages of a queue this stack does not have: ${name}`);
    for (const message of messages) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: message.body,
          MessageGroupId: message.groupId,
          MessageDeduplicationId: message.deduplicationId,
          MessageAttributes: message.attributes,
        }),
      );
    }
    restored[name] = messages.length;
  }
  rmSync(file);
  return restored;
}
