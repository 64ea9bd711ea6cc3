import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createIngestDynamoClient } from '../../lib/ingest/dynamodb-client';
import { createSqsClient } from '../../lib/queue/sqs-client';
import { createDynamoClient } from '../../lib/store/dynamodb-client';
import {
  type DynamoKind,
  type Engine,
  LOCAL_REGION,
  localCredentials,
  startDynamoEngine,
  startSqsEngine,
} from './engines';
import { returnOldItemOnConditionFailure } from './old-item-on-condition-failure';
import { createQueues, createTables, functionEnvironment, type LocalQueue } from './stack-resources';

export interface LocalStackOptions {
  /** A DynamoDB engine already running (the tests share one DynamoDB Local); else one is started. */
  dynamoEndpoint?: string;
  /** The engine to start when none is given: dynalite (no Java) by default. */
  dynamo?: DynamoKind;
  dynamoPort?: number;
  /** Keep DynamoDB data here between runs (queues are in memory only). */
  dataDir?: string;
  sqsPort?: number;
  /** This stack's tables and queues are named `${prefix}${LogicalId}`; unique by default. */
  prefix?: string;
  /** Queue attributes to change, by logical id (tests and `npm start` shorten VisibilityTimeout). */
  queueAttributes?: Record<string, Record<string, string>>;
  /** The callback secret, given to ingest inline where the deployed function reads SSM. */
  secret: string;
}

type FunctionName = 'ingest' | 'consumer' | 'orphans';

export interface LocalStack {
  region: string;
  sqsEndpoint: string;
  dynamoEndpoint: string;
  queue: LocalQueue;
  deadLetterQueue: LocalQueue;
  /** Bodies refused for reusing another body's signature. */
  refusedQueue: LocalQueue;
  tables: { tasks: string; idempotency: string; signatures: string };
  /** Each function's environment as serverless.yml declares it, pointing at this stack. */
  env: Record<FunctionName, Record<string, string>>;
  /** Clients with the functions' own settings, pointed at this stack's engines. */
  clients: {
    sqs: SQSClient;
    ingestDynamo: DynamoDBClient;
    /** The consumer's and the orphan check's (the task store's too). */
    dynamo: DynamoDBClient;
  };
  stop: () => Promise<void>;
}

/**
 * The stack's queues and tables, created from serverless.yml on local engines (started here, or
 * given), with each function's environment and clients pointing at them. What runs on it (the
 * HTTP API, the event source mapping) is `startLocalPipeline`'s.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const engines: Engine[] = [];
  const sqsEngine = await startSqsEngine(options.sqsPort ?? 0);
  engines.push(sqsEngine);
  let dynamoEndpoint = options.dynamoEndpoint;
  const startedKind = dynamoEndpoint ? undefined : (options.dynamo ?? 'dynalite');
  if (!dynamoEndpoint) {
    const engine = await startDynamoEngine(startedKind ?? 'dynalite', options.dynamoPort, options.dataDir);
    engines.push(engine);
    dynamoEndpoint = engine.endpoint;
  }
  const aws = { region: LOCAL_REGION, credentials: localCredentials };
  const clients = {
    sqs: createSqsClient({ ...aws, endpoint: sqsEngine.endpoint }),
    ingestDynamo: createIngestDynamoClient({ ...aws, endpoint: dynamoEndpoint }),
    dynamo: createDynamoClient({ ...aws, endpoint: dynamoEndpoint }),
  };
  if (startedKind === 'dynalite') {
    returnOldItemOnConditionFailure(clients.dynamo);
    returnOldItemOnConditionFailure(clients.ingestDynamo);
  }
  const prefix = options.prefix ?? `t${randomUUID().slice(0, 8)}-`;
  const queues = await createQueues(clients.sqs, prefix, options.queueAttributes);
  const tables = await createTables(clients.dynamo, prefix);
  const [queue, deadLetterQueue, refusedQueue] = [
    queues.CallbackQueue,
    queues.CallbackDeadLetterQueue,
    queues.RefusedCallbacksQueue,
  ];
  const { TasksTable: tasks, IdempotencyTable: idempotency, SignaturesTable: signatures } = tables;
  if (!queue || !deadLetterQueue || !refusedQueue || !tasks || !idempotency || !signatures) {
    throw new Error('serverless.yml lacks a queue or table the local stack needs');
  }

  // Ref resolves to a table's name and a queue's URL, as in CloudFormation.
  const local = {
    ...tables,
    ...Object.fromEntries(Object.entries(queues).map(([id, created]) => [id, created.url])),
  };
  const environment = (fn: FunctionName): Record<string, string> => ({
    ...functionEnvironment(fn, local),
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
    AWS_ENDPOINT_URL_SQS: sqsEngine.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
  });
  const { ZEGO_CALLBACK_SECRET_PARAM: _ssm, ...ingest } = environment('ingest');

  return {
    region: LOCAL_REGION,
    sqsEndpoint: sqsEngine.endpoint,
    dynamoEndpoint,
    queue,
    deadLetterQueue,
    refusedQueue,
    tables: { tasks, idempotency, signatures },
    env: {
      ingest: { ...ingest, ZEGO_CALLBACK_SECRET: options.secret },
      consumer: environment('consumer'),
      orphans: environment('orphans'),
    },
    clients,
    stop: async () => {
      for (const client of Object.values(clients)) client.destroy();
      for (const engine of engines.reverse()) await engine.stop();
    },
  };
}
