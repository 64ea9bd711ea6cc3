import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { LOCAL_REGION, localCredentials, startSqsEngine } from '../../scripts/local/engines';
import { createQueues, createTables, type LocalQueue } from '../../scripts/local/stack-resources';

export interface LocalStack {
  sqs: SQSClient;
  dynamo: DynamoDBClient;
  documents: DynamoDBDocumentClient;
  queue: LocalQueue;
  deadLetterQueue: LocalQueue;
  tables: { tasks: string; idempotency: string };
  /** Environment for the real handlers: SDK endpoints, table names, queue URL. */
  env: Record<string, string>;
  stop: () => Promise<void>;
}

/**
 * The stack's queues (on a fauxqs of this file's own) and tables (on the shared DynamoDB Local,
 * under a prefix of this file's own), created from serverless.yml.
 */
export async function startLocalStack(queueOverrides: Record<string, string> = {}): Promise<LocalStack> {
  const sqsEngine = await startSqsEngine();
  const dynamoEndpoint = inject('dynamoEndpoint');
  const config = { region: LOCAL_REGION, credentials: localCredentials };
  const sqs = new SQSClient({ ...config, endpoint: sqsEngine.endpoint });
  const dynamo = new DynamoDBClient({ ...config, endpoint: dynamoEndpoint });
  const prefix = `t${randomUUID().slice(0, 8)}-`;
  const queues = await createQueues(sqs, prefix, { CallbackQueue: queueOverrides });
  const tables = await createTables(dynamo, prefix);
  const [queue, deadLetterQueue] = [queues.CallbackQueue, queues.CallbackDeadLetterQueue];
  if (!queue || !deadLetterQueue || !tables.TasksTable || !tables.IdempotencyTable) {
    throw new Error('serverless.yml lacks a queue or table the tests need');
  }
  return {
    sqs,
    dynamo,
    documents: DynamoDBDocumentClient.from(dynamo, { unmarshallOptions: { wrapNumbers: true } }),
    queue,
    deadLetterQueue,
    tables: { tasks: tables.TasksTable, idempotency: tables.IdempotencyTable },
    env: {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
      AWS_ENDPOINT_URL_SQS: sqsEngine.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
      QUEUE_URL: queue.url,
      TASKS_TABLE: tables.TasksTable,
      IDEMPOTENCY_TABLE: tables.IdempotencyTable,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    },
    stop: async () => {
      sqs.destroy();
      dynamo.destroy();
      await sqsEngine.stop();
    },
  };
}
