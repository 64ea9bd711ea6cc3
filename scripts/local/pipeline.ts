import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import {
  type DynamoKind,
  LOCAL_REGION,
  localCredentials,
  startDynamoEngine,
  startSqsEngine,
} from './engines';
import { type BatchReport, startEventSourceMapping } from './event-source-mapping';
import { startHttpApi } from './http-api';
import { lambdaContext } from './lambda-context';
import { apiThrottle, createQueues, createTables } from './stack-resources';
import type { ThrottleLimits } from './token-bucket';

export interface PipelineOptions {
  /** HTTP port of the callback endpoint; 0 picks a free one. */
  port: number;
  sqsPort?: number;
  dynamoPort?: number;
  dynamo?: DynamoKind;
  /** Keep DynamoDB data here between runs (queues are in memory only). */
  dataDir?: string;
  secret: string;
  /** Shorter than the deployed 180 s so a failed callback is retried while you watch. */
  visibilityTimeoutSeconds?: number;
  onBatch?: (report: BatchReport) => void;
  /**
   * Throttle the endpoint as the deployed API does: `true` with serverless.yml's limits, or these.
   * Off by default: the load run and the bench go past the deployed limits on purpose.
   */
  throttle?: boolean | ThrottleLimits;
}

/** Where everything is, for the banner, the CLI (`.local/stack.json`) and the tests. */
export interface PipelineInfo {
  callbackUrl: string;
  region: string;
  sqsEndpoint: string;
  dynamoEndpoint: string;
  queueUrl: string;
  deadLetterQueueUrl: string;
  tasksTable: string;
  idempotencyTable: string;
}

/**
 * The whole product on one machine: the real ingest handler behind a local HTTP API, the real
 * consumer fed by a local event source mapping, against local SQS and DynamoDB engines whose
 * queues and tables come from serverless.yml. The handlers read their configuration from the
 * environment at load, as on Lambda, so one process holds one pipeline.
 */
export async function startLocalPipeline(
  options: PipelineOptions,
): Promise<PipelineInfo & { stop: () => Promise<void> }> {
  const sqsEngine = await startSqsEngine(options.sqsPort ?? 0);
  const dynamoEngine = await startDynamoEngine(
    options.dynamo ?? 'dynalite',
    options.dynamoPort,
    options.dataDir,
  );
  const aws = { region: LOCAL_REGION, credentials: localCredentials };
  const sqs = new SQSClient({ ...aws, endpoint: sqsEngine.endpoint });
  const dynamo = new DynamoDBClient({ ...aws, endpoint: dynamoEngine.endpoint });
  const queues = await createQueues(sqs, 'local-', {
    CallbackQueue: { VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 5) },
  });
  const tables = await createTables(dynamo, 'local-');
  dynamo.destroy();
  const queue = queues.CallbackQueue;
  const deadLetterQueue = queues.CallbackDeadLetterQueue;
  if (
    !queue ||
    !deadLetterQueue ||
    !tables.TasksTable ||
    !tables.IdempotencyTable ||
    !tables.SignaturesTable
  ) {
    throw new Error('serverless.yml lacks a queue or table the pipeline needs');
  }

  Object.assign(process.env, {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
    AWS_ENDPOINT_URL_SQS: sqsEngine.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEngine.endpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    QUEUE_URL: queue.url,
    DEAD_LETTER_QUEUE_URL: deadLetterQueue.url,
    TASKS_TABLE: tables.TasksTable,
    IDEMPOTENCY_TABLE: tables.IdempotencyTable,
    SIGNATURES_TABLE: tables.SignaturesTable,
    ZEGO_CALLBACK_SECRET: options.secret,
  });
  const { handler: ingest } = await import('../../functions/ingest');
  const { handler: consumer } = await import('../../functions/consumer');

  const api = await startHttpApi(
    [
      {
        method: 'POST',
        path: '/zego/callback',
        handler: ingest,
        context: () => lambdaContext('zego-mix-callbacks-local-ingest', 10_000),
      },
    ],
    options.port,
    { throttle: options.throttle === true ? apiThrottle() : options.throttle || undefined },
  );
  const mapping = startEventSourceMapping({
    sqs,
    queueUrl: queue.url,
    queueArn: queue.arn,
    region: LOCAL_REGION,
    handler: consumer,
    context: () => lambdaContext('zego-mix-callbacks-local-consumer', 30_000),
    onBatch: options.onBatch,
  });

  return {
    callbackUrl: `${api.url}/zego/callback`,
    region: LOCAL_REGION,
    sqsEndpoint: sqsEngine.endpoint,
    dynamoEndpoint: dynamoEngine.endpoint,
    queueUrl: queue.url,
    deadLetterQueueUrl: deadLetterQueue.url,
    tasksTable: tables.TasksTable,
    idempotencyTable: tables.IdempotencyTable,
    stop: async () => {
      await api.stop();
      await mapping.stop();
      sqs.destroy();
      await sqsEngine.stop();
      await dynamoEngine.stop();
    },
  };
}
