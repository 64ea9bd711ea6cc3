import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadConsumerConfig } from '../lib/config';
import { hooks } from '../lib/hooks';
import { consumeBatch } from '../lib/process/consume-batch';
import { type ProcessInput, processCallback } from '../lib/process/process-callback';
import { dynamoClient } from '../lib/store/dynamodb-client';

const DAY_SECONDS = 86_400;

const config = loadConsumerConfig();
const logger = new Logger({ serviceName: 'zego-mix-callbacks', persistentKeys: { function: 'consumer' } });
let lambdaContext: Context | undefined;

// Keyed on the callback's identity (appid:event:seq), not the SQS message id, so a replay from
// the DLQ or a ZEGO retry past SQS's 5-minute de-duplication window is recognised too. The fixed
// prefix keeps keys valid if the function is renamed.
const idempotency = new IdempotencyConfig({
  eventKeyJmesPath: 'idempotencyKey',
  throwOnNoIdempotencyKey: true,
  expiresAfterSeconds: config.IDEMPOTENCY_DAYS * DAY_SECONDS,
});
const processOnce = makeIdempotent(
  (input: ProcessInput) =>
    processCallback(input, {
      store: {
        tableName: config.TASKS_TABLE,
        stoppedRetentionSeconds: config.TASK_RETENTION_DAYS * DAY_SECONDS,
      },
      hooks,
      logger,
      remainingTimeMs: () => lambdaContext?.getRemainingTimeInMillis() ?? 0,
    }),
  {
    persistenceStore: new DynamoDBPersistenceLayer({
      tableName: config.IDEMPOTENCY_TABLE,
      awsSdkV3Client: dynamoClient,
    }),
    config: idempotency,
    keyPrefix: 'zego-callback',
  },
);

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger))
  .handler((event, context) => {
    lambdaContext = context;
    // In-progress records expire when this invocation would time out, so a crash never blocks a retry.
    idempotency.registerLambdaContext(context);
    return consumeBatch(event, context, { processOnce, logger });
  });
