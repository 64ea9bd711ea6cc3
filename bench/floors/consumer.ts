// The least a consumer can be: for each record of the batch, one conditional write of its task,
// ordered by seq like lib/store/task-store.ts, all records of a batch at once (the real consumer
// runs message groups concurrently; here every record is its own task). No idempotency record, no
// validation, no hook; the consumer's own client (lib/store/dynamodb-client.ts). Bundled like the
// real functions.
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { dynamoClient } from '../../lib/store/dynamodb-client';

/** The task's conditional write, by seq: the one write this floor makes per record. */
export async function writeTask(callback: { appid: string; task_id: string; event: string; seq: string }) {
  await dynamoClient.send(
    new UpdateItemCommand({
      TableName: process.env.TASKS_TABLE,
      Key: { appid: { S: callback.appid }, task_id: { S: callback.task_id } },
      UpdateExpression: 'SET #status = :status, #seq = :seq',
      ConditionExpression: 'attribute_not_exists(#seq) OR #seq < :seq',
      ExpressionAttributeNames: { '#status': 'status', '#seq': 'seq' },
      ExpressionAttributeValues: { ':status': { S: callback.event }, ':seq': { N: callback.seq } },
    }),
  );
}

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const results = await Promise.allSettled(
    event.Records.map((record) => writeTask(JSON.parse(record.body).callback)),
  );
  return {
    batchItemFailures: event.Records.filter((_, i) => results[i]?.status === 'rejected').map((record) => ({
      itemIdentifier: record.messageId,
    })),
  };
};
