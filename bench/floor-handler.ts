// The least an ingest function can be: one SendMessage, nothing else. The benchmark bundles it
// like the real functions, to show how much of their size and cold start is the SDK's.
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });

export const handler = async (event: { body?: string }) => {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: process.env.QUEUE_URL,
      MessageBody: event.body ?? '{}',
      MessageGroupId: 'floor',
      MessageDeduplicationId: String(Date.now() + Math.random()),
    }),
  );
  return { statusCode: 200, body: '' };
};
