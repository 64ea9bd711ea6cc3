// The least a consumer that keeps Powertools Idempotency's record can be: for each record, the
// three writes the consumer makes for a new callback, in its order: claim the idempotency record
// (a conditional PutItem, as the persistence layer writes it), the task's conditional write (as
// consumer.ts), then mark the record completed (UpdateItem). All records of a batch at once. No
// validation, no hook, no logs or metrics; the consumer's client for all three writes. Bundled like
// the real functions; the gap to consumer.ts is what the idempotency record's two writes cost.
import { createHash } from 'node:crypto';
import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { dynamoClient } from '../../lib/store/dynamodb-client';
import { writeTask } from './consumer';

const DAY_SECONDS = 86_400;

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const results = await Promise.allSettled(
    event.Records.map(async (record) => {
      const { callback } = JSON.parse(record.body);
      const id = { S: `floor#${createHash('md5').update(record.body).digest('hex')}` };
      const now = Math.floor(Date.now() / 1000);
      const expiry = { N: String(now + DAY_SECONDS) };
      await dynamoClient.send(
        new PutItemCommand({
          TableName: process.env.IDEMPOTENCY_TABLE,
          Item: {
            id,
            status: { S: 'INPROGRESS' },
            expiration: expiry,
            in_progress_expiration: { N: String(now + 30) },
          },
          ConditionExpression: 'attribute_not_exists(#id) OR #expiry < :now',
          ExpressionAttributeNames: { '#id': 'id', '#expiry': 'expiration' },
          ExpressionAttributeValues: { ':now': { N: String(now) } },
        }),
      );
      await writeTask(callback);
      await dynamoClient.send(
        new UpdateItemCommand({
          TableName: process.env.IDEMPOTENCY_TABLE,
          Key: { id },
          UpdateExpression: 'SET #status = :status, #data = :data, #expiry = :expiry',
          ExpressionAttributeNames: { '#status': 'status', '#data': 'data', '#expiry': 'expiration' },
          ExpressionAttributeValues: {
            ':status': { S: 'COMPLETED' },
            ':data': { S: '{}' },
            ':expiry': expiry,
          },
        }),
      );
    }),
  );
  return {
    batchItemFailures: event.Records.filter((_, i) => results[i]?.status === 'rejected').map((record) => ({
      itemIdentifier: record.messageId,
    })),
  };
};
