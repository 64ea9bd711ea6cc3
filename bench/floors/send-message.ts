// The least an ingest function can be: one SendMessage, nothing else, on ingest's own SQS client
// (lib/queue/sqs-client.ts), so a client setting weighs on both alike. The benchmark bundles it like
// the real functions, to show how much of their size and cold start is the SDK's.
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { sqsClient } from '../../lib/queue/sqs-client';

export const handler = async (event: { body?: string }) => {
  await sqsClient().send(
    new SendMessageCommand({
      QueueUrl: process.env.QUEUE_URL,
      MessageBody: event.body ?? '{}',
      MessageGroupId: 'floor',
      MessageDeduplicationId: String(Date.now() + Math.random()),
    }),
  );
  return { statusCode: 200, body: '' };
};
