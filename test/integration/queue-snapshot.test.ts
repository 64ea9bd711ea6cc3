import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { restoreQueues, saveQueues, localQueueUrls as urls } from '../../tools/local-stack/queue-snapshot';
import { type LocalStack, startLocalStack } from '../support/local-stack';
import { drainWithAttributes } from '../support/queue';

const fifo = (stack: LocalStack, url: string, body: string, group: string) =>
  stack.clients.sqs.send(
    new SendMessageCommand({
      QueueUrl: url,
      MessageBody: body,
      MessageGroupId: group,
      MessageDeduplicationId: body,
    }),
  );

/** What a restarted stack's consumer would see of a queue: bodies, groups, ids, attributes. */
async function contents(stack: LocalStack, url: string) {
  return (await drainWithAttributes(stack.clients.sqs, url)).map((m) => ({
    body: m.Body,
    group: m.Attributes?.MessageGroupId,
    deduplicationId: m.Attributes?.MessageDeduplicationId,
    attributes: m.MessageAttributes,
  }));
}

describe('npm start --data: queues kept across a restart (tools/local-stack/queue-snapshot.ts)', () => {
  it('gives a new engine every message each queue held, in group order, with its ids and attributes', async () => {
    const before = await startLocalStack({ VisibilityTimeout: '1' });
    const file = join(mkdtempSync(join(tmpdir(), 'zego-queues-')), 'queues.json');
    try {
      await fifo(before, before.queue.url, 'a1', 'task-a');
      await fifo(before, before.queue.url, 'b1', 'task-b');
      await fifo(before, before.queue.url, 'a2', 'task-a');
      await fifo(before, before.deadLetterQueue.url, 'dead-1', 'task-c');
      await before.clients.sqs.send(
        new SendMessageCommand({
          QueueUrl: before.refusedQueue.url,
          MessageBody: 'refused-1',
          MessageAttributes: { 'zego-failure': { DataType: 'String', StringValue: 'signature_reused' } },
        }),
      );
      // A consumer held a1 when it stopped: it comes back after its visibility timeout, and is saved.
      await before.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: before.queue.url, MaxNumberOfMessages: 1 }),
      );
      expect(await saveQueues(before.clients.sqs, urls(before), file)).toEqual({
        CallbackQueue: 3,
        CallbackDeadLetterQueue: 1,
        RefusedCallbacksQueue: 1,
      });
    } finally {
      await before.stop();
    }

    const after = await startLocalStack();
    try {
      expect(await restoreQueues(after.clients.sqs, urls(after), file)).toEqual({
        CallbackQueue: 3,
        CallbackDeadLetterQueue: 1,
        RefusedCallbacksQueue: 1,
      });
      expect(existsSync(file)).toBe(false); // never sent twice
      const queued = await contents(after, after.queue.url);
      expect(queued.map((m) => m.body).sort()).toEqual(['a1', 'a2', 'b1']);
      const taskA = queued.filter((m) => m.group === 'task-a').map((m) => m.body);
      expect(taskA).toEqual(['a1', 'a2']);
      expect(queued.find((m) => m.body === 'b1')).toMatchObject({ group: 'task-b', deduplicationId: 'b1' });
      expect(await contents(after, after.deadLetterQueue.url)).toEqual([
        { body: 'dead-1', group: 'task-c', deduplicationId: 'dead-1', attributes: undefined },
      ]);
      expect(await contents(after, after.refusedQueue.url)).toMatchObject([
        {
          body: 'refused-1',
          attributes: { 'zego-failure': { DataType: 'String', StringValue: 'signature_reused' } },
        },
      ]);
      expect(await restoreQueues(after.clients.sqs, urls(after), file)).toEqual({}); // no file: nothing
    } finally {
      await after.stop();
    }
  });
});
