import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { ConsumerConfig } from '../config';
import { eventBridgeClient } from '../events/eventbridge-client';
import { eventPublisher } from '../events/publish';
import { withRunEvents } from '../events/publishing-hooks';
import type { Hooks } from '../hook-contract';
import { createMetrics } from '../metrics';
import { sqsDeadLetter } from '../queue/dead-letter';
import { dynamoClient } from '../store/dynamodb-client';
import { consumeBatch } from './consume-batch';
import { legacyCompletions } from './legacy-completions';
import { processMessage } from './process-message';
import { idempotencyConfig, processOnce } from './process-once';

const DAY_SECONDS = 86_400;

export interface ConsumerHandlerOptions {
  config: ConsumerConfig;
  /** Your code (lib/hooks.ts in the deployed function). */
  hooks: Pick<Hooks, 'onMixStarted' | 'onMixUpdated' | 'onMixStopped'>;
  logger?: Logger;
  metrics?: Metrics;
  /** Clients; the module singletons by default. One DynamoDB client for the task and its idempotency record. */
  dynamo?: DynamoDBClient;
  sqs?: SQSClient;
  /** Publishes run events when EVENT_BUS_NAME is set; the module singleton by default. */
  eventBridge?: EventBridgeClient;
  /** Current time in milliseconds. */
  now?: () => number;
}

/**
 * The consumer Lambda: FIFO batches from SQS, each callback (or reconciliation) applied to its task
 * once, then the hook; with EVENT_BUS_NAME set, each hook call publishes its run event first
 * (lib/events/publishing-hooks.ts).
 */
export function createConsumerHandler({
  config,
  hooks,
  logger = new Logger({ serviceName: 'zego-mix-callbacks', persistentKeys: { function: 'consumer' } }),
  metrics = createMetrics('consumer', config.STAGE),
  dynamo = dynamoClient,
  sqs,
  eventBridge,
  now = Date.now,
}: ConsumerHandlerOptions) {
  const busName = config.EVENT_BUS_NAME;
  const runHooks = busName
    ? withRunEvents(
        hooks,
        eventPublisher({ busName, client: eventBridge ?? eventBridgeClient(), metrics, logger }),
      )
    : hooks;
  const idempotency = idempotencyConfig({ days: config.IDEMPOTENCY_DAYS, metrics });
  const persistence = () =>
    new DynamoDBPersistenceLayer({ tableName: config.IDEMPOTENCY_TABLE, awsSdkV3Client: dynamo });
  const store = {
    tableName: config.TASKS_TABLE,
    stoppedRetentionSeconds: config.TASK_RETENTION_DAYS * DAY_SECONDS,
    firstCheckAfterSeconds: Math.round(config.RECONCILE_AFTER_MINUTES * 60),
    client: dynamo,
    now,
  };
  const completedBeforeUpgrade = legacyCompletions(persistence());
  const once = processOnce(
    (input, context) =>
      processMessage(input, {
        store,
        hooks: runHooks,
        logger,
        metrics,
        remainingTimeMs: () => context.getRemainingTimeInMillis(),
        completedBeforeUpgrade,
      }),
    { persistenceStore: persistence(), config: idempotency },
  );
  const deadLetter = sqsDeadLetter({ queueUrl: config.DEAD_LETTER_QUEUE_URL, sqs });

  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .handler((event, context) => {
      // In-progress records expire when this invocation would time out, so a crash never blocks a retry.
      idempotency.registerLambdaContext(context);
      return consumeBatch(event, context, {
        processOnce: once,
        deadLetter,
        logger,
        metrics,
        maxReceiveCount: config.MAX_RECEIVE_COUNT,
      });
    });
}
