// The least an ingest function that keeps one use per signature can be: one conditional PutItem
// (the binding's, lib/ingest/signature-bindings.ts) then one SendMessage, nothing else, on ingest's
// own clients. Bundled like the real functions; the gap between it and send-message.ts is what the
// second call costs.
import { createHash } from 'node:crypto';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { ingestDynamoClient as dynamo } from '../../lib/ingest/dynamodb-client';
import { sqsClient as sqs } from '../../lib/queue/sqs-client';

export const handler = async (event: { body?: string }) => {
  const body = event.body ?? '{}';
  const key = createHash('sha256').update(body).digest('hex');
  const now = String(Math.floor(Date.now() / 1000));
  await dynamo.send(
    new PutItemCommand({
      TableName: process.env.SIGNATURES_TABLE,
      Item: { signature: { S: key }, identityHash: { S: key }, boundAt: { N: now }, expiresAt: { N: now } },
      ConditionExpression: 'attribute_not_exists(signature) OR identityHash = :identity OR expiresAt < :now',
      ExpressionAttributeValues: { ':identity': { S: key }, ':now': { N: now } },
    }),
  );
  await sqs().send(
    new SendMessageCommand({
      QueueUrl: process.env.QUEUE_URL,
      MessageBody: body,
      MessageGroupId: 'floor',
      MessageDeduplicationId: key,
    }),
  );
  return { statusCode: 200, body: '' };
};
