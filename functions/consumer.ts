import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadConsumerConfig } from '../lib/config';
import { hooks } from '../lib/hooks';
import { createMetrics } from '../lib/metrics';
import { consumeBatch } from '../lib/process/consume-batch';
import { processCallback } from '../lib/process/process-callback';
import { processOnce } from '../lib/process/process-once';
import { dynamoClient } from '../lib/store/dynamodb-client';

const DAY_SECONDS = 86_400;

const config = loadConsumerConfig();
const logger = new Logger({ serviceName: 'zego-mix-callbacks', persistentKeys: { function: 'consumer' } });
const metrics = createMetrics('consumer');
let lambdaContext: Context | undefined;

const idempotency = new IdempotencyConfig({
  eventKeyJmesPath: 'idempotencyKey',
  throwOnNoIdempotencyKey: true,
  expiresAfterSeconds: config.IDEMPOTENCY_DAYS * DAY_SECONDS,
});
const processCallbackOnce = processOnce(
  (input) =>
    processCallback(input, {
      store: {
        tableName: config.TASKS_TABLE,
        stoppedRetentionSeconds: config.TASK_RETENTION_DAYS * DAY_SECONDS,
      },
      hooks,
      logger,
      metrics,
      remainingTimeMs: () => lambdaContext?.getRemainingTimeInMillis() ?? 0,
    }),
  {
    persistenceStore: new DynamoDBPersistenceLayer({
      tableName: config.IDEMPOTENCY_TABLE,
      awsSdkV3Client: dynamoClient,
    }),
    config: idempotency,
    metrics,
  },
);

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics, { captureColdStartMetric: true }))
  .handler((event, context) => {
    lambdaContext = context;
    // In-progress records expire when this invocation would time out, so a crash never blocks a retry.
    idempotency.registerLambdaContext(context);
    return consumeBatch(event, context, { processOnce: processCallbackOnce, logger, metrics });
  });
