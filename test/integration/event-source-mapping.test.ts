import { setTimeout as sleep } from 'node:timers/promises';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollOnce } from '../../tools/local-stack/event-source-mapping';
import { lambdaContext } from '../../tools/local-stack/lambda-context';
import { type LocalStack, startLocalStack } from '../support/local-stack';
import { drain } from '../support/queue';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({ VisibilityTimeout: '1' });
});
afterAll(() => stack?.stop());

let batch = 0;
async function sendTwo(): Promise<void> {
  batch += 1;
  await stack.clients.sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: stack.queue.url,
      Entries: ['a', 'b'].map((name) => ({
        Id: name,
        MessageBody: `${name}${batch}`,
        MessageGroupId: name,
        MessageDeduplicationId: `${name}${batch}`,
      })),
    }),
  );
}

const poll = (handler: (event: SQSEvent) => Promise<SQSBatchResponse>) =>
  pollOnce({
    sqs: stack.clients.sqs,
    queueUrl: stack.queue.url,
    queueArn: stack.queue.arn,
    region: 'us-east-1',
    handler,
    context: () => lambdaContext(),
  });

const remaining = async () => (await drain(stack.clients.sqs, stack.queue.url)).map((m) => m.Body).sort();
const settle = () => sleep(1_200);

describe('local event source mapping', () => {
  it('hands over Lambda-shaped FIFO records', async () => {
    await sendTwo();
    let seen: SQSEvent | undefined;
    await poll(async (event) => {
      seen = event;
      return { batchItemFailures: [] };
    });
    expect(seen?.Records.map((r) => r.body).sort()).toEqual([`a${batch}`, `b${batch}`]);
    expect(seen?.Records[0]).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: stack.queue.arn,
      awsRegion: 'us-east-1',
      attributes: {
        ApproximateReceiveCount: '1',
        MessageGroupId: expect.any(String),
        MessageDeduplicationId: expect.any(String),
      },
    });
  });

  it('deletes the records that succeeded and keeps the ones reported failed', async () => {
    await sendTwo();
    const report = await poll(async (event) => ({
      batchItemFailures: event.Records.filter((r) => r.body.startsWith('a')).map((r) => ({
        itemIdentifier: r.messageId,
      })),
    }));
    expect(report).toMatchObject({ received: 2, deleted: 1, failed: 1 });
    await settle();
    expect(await remaining()).toEqual([`a${batch}`]);
  });

  it('keeps the whole batch when the handler throws or reports an id not in the batch', async () => {
    await sendTwo();
    expect(await poll(async () => Promise.reject(new Error('crash')))).toMatchObject({
      deleted: 0,
      failed: 2,
    });
    await settle();
    expect(await remaining()).toEqual([`a${batch}`, `b${batch}`]);
    await sendTwo();
    expect(
      await poll(async () => ({ batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] })),
    ).toMatchObject({ deleted: 0 });
    await settle();
    expect(await remaining()).toEqual([`a${batch}`, `b${batch}`]);
  });
});
