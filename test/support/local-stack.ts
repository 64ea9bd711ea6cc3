import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { loadConsumerConfig, loadIngestConfig } from '../../lib/config';
import type { Hooks } from '../../lib/hook-contract';
import { createIngestHandler, type IngestHandlerOptions } from '../../lib/ingest/ingest-handler';
import { type ConsumerHandlerOptions, createConsumerHandler } from '../../lib/process/consumer-handler';
import { LOCAL_REGION, localCredentials, startSqsEngine } from '../../scripts/local/engines';
import { createQueues, createTables, type LocalQueue } from '../../scripts/local/stack-resources';
import { TEST_SECRET } from './callbacks';

export interface LocalStack {
  sqs: SQSClient;
  dynamo: DynamoDBClient;
  documents: DynamoDBDocumentClient;
  queue: LocalQueue;
  deadLetterQueue: LocalQueue;
  tables: { tasks: string; idempotency: string; signatures: string };
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
  if (
    !queue ||
    !deadLetterQueue ||
    !tables.TasksTable ||
    !tables.IdempotencyTable ||
    !tables.SignaturesTable
  ) {
    throw new Error('serverless.yml lacks a queue or table the tests need');
  }
  return {
    sqs,
    dynamo,
    documents: DynamoDBDocumentClient.from(dynamo, { unmarshallOptions: { wrapNumbers: true } }),
    queue,
    deadLetterQueue,
    tables: {
      tasks: tables.TasksTable,
      idempotency: tables.IdempotencyTable,
      signatures: tables.SignaturesTable,
    },
    env: {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
      AWS_ENDPOINT_URL_SQS: sqsEngine.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
      QUEUE_URL: queue.url,
      DEAD_LETTER_QUEUE_URL: deadLetterQueue.url,
      TASKS_TABLE: tables.TasksTable,
      IDEMPOTENCY_TABLE: tables.IdempotencyTable,
      SIGNATURES_TABLE: tables.SignaturesTable,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    },
    stop: async () => {
      sqs.destroy();
      dynamo.destroy();
      await sqsEngine.stop();
    },
  };
}

/** Quiet unless a test brings its own logger. */
const silent = () => new Logger({ logLevel: 'SILENT' });

/**
 * The real ingest handler, configured from the stack's environment (as the deployed one is from its
 * own) with the test secret, talking to the stack's engines.
 */
export function ingestHandler(
  stack: LocalStack,
  {
    env = {},
    ...options
  }: Partial<Omit<IngestHandlerOptions, 'config'>> & { env?: Record<string, string> } = {},
) {
  const config = loadIngestConfig({ ...stack.env, ZEGO_CALLBACK_SECRET: TEST_SECRET, ...env });
  return createIngestHandler({ config, sqs: stack.sqs, dynamo: stack.dynamo, logger: silent(), ...options });
}

/** The real consumer handler with the hooks a test passes in, talking to the stack's engines. */
export function consumerHandler(
  stack: LocalStack,
  hooks: Pick<Hooks, 'onMixStarted' | 'onMixStopped'>,
  {
    env = {},
    ...options
  }: Partial<Omit<ConsumerHandlerOptions, 'config' | 'hooks'>> & { env?: Record<string, string> } = {},
) {
  const config = loadConsumerConfig({ ...stack.env, ...env });
  return createConsumerHandler({
    config,
    hooks,
    sqs: stack.sqs,
    dynamo: stack.dynamo,
    logger: silent(),
    ...options,
  });
}
