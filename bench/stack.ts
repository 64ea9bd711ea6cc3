/**
 * The benchmark's local stack: the SQS engine in this process, DynamoDB Local in its own (Java)
 * process, as DynamoDB runs elsewhere (dynalite, when there is no Java, would share this process's
 * CPU with the code being measured), with serverless.yml's queues and tables, and the environment
 * the functions read.
 */
import { execFileSync } from 'node:child_process';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import {
  type DynamoKind,
  LOCAL_REGION,
  localCredentials,
  startDynamoEngine,
  startSqsEngine,
} from '../scripts/local/engines';
import { createQueues, createTables, type LocalQueue } from '../scripts/local/stack-resources';
import { type FakeSsm, startFakeSsm } from './fake-ssm';
import { BENCH_SECRET } from './fixtures';

export interface BenchStack {
  dynamoKind: DynamoKind;
  sqs: SQSClient;
  dynamo: DynamoDBClient;
  queue: LocalQueue;
  tables: { tasks: string; idempotency: string; signatures: string };
  /** What a function process reads: the stack's names, local endpoints and credentials. */
  env: NodeJS.ProcessEnv;
  /** What ingest reads instead to take its secret from SSM, as a deployed stage does. */
  deployedSecretEnv: FakeSsm['env'];
  stop: () => Promise<void>;
}

export async function startBenchStack(): Promise<BenchStack> {
  const sqsEngine = await startSqsEngine();
  const ssm = await startFakeSsm(
    '/zego-mix-callbacks/bench/callback-secret',
    JSON.stringify({ '111111': BENCH_SECRET }),
  );
  const dynamoKind: DynamoKind = hasJava() ? 'dynamodb-local' : 'dynalite';
  const dynamoEngine = await startDynamoEngine(dynamoKind);
  const aws = { region: LOCAL_REGION, credentials: localCredentials };
  const sqs = new SQSClient({
    ...aws,
    endpoint: sqsEngine.endpoint,
    useQueueUrlAsEndpoint: false,
    maxAttempts: 3,
  });
  const dynamo = new DynamoDBClient({ ...aws, endpoint: dynamoEngine.endpoint, maxAttempts: 5 });
  const queues = await createQueues(sqs, 'bench-');
  const tables = await createTables(dynamo, 'bench-');
  const queue = queues.CallbackQueue;
  const deadLetterQueue = queues.CallbackDeadLetterQueue;
  if (!queue || !deadLetterQueue || !tables.TasksTable || !tables.IdempotencyTable || !tables.SignaturesTable)
    throw new Error('serverless.yml lacks a queue or table the benchmark needs');
  const env = {
    ...process.env,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
    AWS_ENDPOINT_URL_SQS: sqsEngine.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEngine.endpoint,
    QUEUE_URL: queue.url,
    DEAD_LETTER_QUEUE_URL: deadLetterQueue.url,
    TASKS_TABLE: tables.TasksTable,
    IDEMPOTENCY_TABLE: tables.IdempotencyTable,
    SIGNATURES_TABLE: tables.SignaturesTable,
    ZEGO_CALLBACK_SECRET: BENCH_SECRET,
    POWERTOOLS_LOG_LEVEL: 'INFO',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  return {
    dynamoKind,
    sqs,
    dynamo,
    queue,
    tables: {
      tasks: tables.TasksTable,
      idempotency: tables.IdempotencyTable,
      signatures: tables.SignaturesTable,
    },
    env,
    deployedSecretEnv: ssm.env,
    stop: async () => {
      await ssm.stop();
      sqs.destroy();
      dynamo.destroy();
      await sqsEngine.stop();
      await dynamoEngine.stop();
    },
  };
}

function hasJava(): boolean {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
