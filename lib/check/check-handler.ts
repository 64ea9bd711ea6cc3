import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { OrphansConfig } from '../config';
import { eventBridgeClient } from '../events/eventbridge-client';
import { eventPublisher } from '../events/publish';
import { withOrphanEvents } from '../events/publishing-hooks';
import type { Hooks } from '../hook-contract';
import { createMetrics } from '../metrics';
import { type ReconcilerOptions, reconciler } from '../reconcile/reconciler';
import { dynamoClient } from '../store/dynamodb-client';
import { runScheduledCheck, type ScheduledCheckOptions } from './scheduled-check';

/**
 * Tasks start only while more than this (plus two lookups' timeouts, for the task in flight) is
 * left of the invocation: time for a throttle backoff (7 s at most), the last writes, the orphan
 * hooks and publishing the metrics. What is left stays due for the next check.
 */
const RESERVED_MS = 20_000;

export interface CheckHandlerOptions {
  config: OrphansConfig;
  /** Your code (lib/hooks.ts in the deployed function). */
  hooks: Pick<Hooks, 'onMixOrphaned'>;
  logger?: Logger;
  metrics?: Metrics;
  /** Clients; the module singletons by default. */
  dynamo?: DynamoDBClient;
  sqs?: SQSClient;
  ssm?: SSMProvider;
  /** Publishes `Mix Orphaned` when EVENT_BUS_NAME is set; the module singleton by default. */
  eventBridge?: EventBridgeClient;
  /** ZEGO's server API is called with this. */
  fetch?: typeof fetch;
  /** Current time in milliseconds. */
  now?: () => number;
  /** Tasks looked at in parallel, and how lookups wait (tests make them quick). */
  concurrency?: ScheduledCheckOptions['concurrency'];
  pacing?: ReconcilerOptions['pacing'];
}

/**
 * The scheduled `orphans` Lambda (every orphanCheckMinutes): looks at the running tasks that are
 * due, reconciling them with ZEGO's server API when a ServerSecret is configured and reporting the
 * orphans. A run that throws is not retried by Lambda (maximumRetryAttempts: 0): the next scheduled
 * run is the retry, the Errors alarm reports the failure, and the heartbeat alarm a check that keeps
 * failing.
 */
export function createCheckHandler({
  config,
  hooks,
  logger = new Logger({ serviceName: 'zego-mix-callbacks', persistentKeys: { function: 'orphans' } }),
  metrics = createMetrics('orphans', config.STAGE),
  dynamo = dynamoClient,
  sqs,
  ssm,
  eventBridge,
  fetch,
  now = Date.now,
  concurrency,
  pacing,
}: CheckHandlerOptions) {
  const busName = config.EVENT_BUS_NAME;
  const orphanHooks = busName
    ? withOrphanEvents(
        hooks,
        eventPublisher({ busName, client: eventBridge ?? eventBridgeClient(), metrics, logger }),
      )
    : hooks;
  const reconcile =
    config.reconcile &&
    reconciler({
      settings: config.reconcile,
      secretCacheSeconds: config.ZEGO_SECRET_CACHE_SECONDS,
      appIds: config.ZEGO_APP_IDS,
      logger,
      sqs,
      ssm,
      fetch,
      now,
      pacing,
    });

  return middy<unknown, unknown>()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .handler(async (_event, context: Context) => {
      await runScheduledCheck({
        table: { tableName: config.TASKS_TABLE, client: dynamo },
        orphanAfterSeconds: config.ORPHAN_AFTER_MINUTES * 60,
        hooks: orphanHooks,
        reconcile,
        concurrency,
        signal: deadline(context, config.reconcile?.timeoutMs ?? 0),
        logger,
        metrics,
        now,
      });
    });
}

/** Aborts when tasks must stop starting for the invocation to finish in time. */
function deadline(context: Context, lookupTimeoutMs: number): AbortSignal {
  const budgetMs = context.getRemainingTimeInMillis() - RESERVED_MS - 2 * lookupTimeoutMs;
  // A timeout of 0 would fire only after the first tasks had started.
  return budgetMs > 0 ? AbortSignal.timeout(budgetMs) : AbortSignal.abort();
}
