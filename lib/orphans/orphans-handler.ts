import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { OrphansConfig, ReconcileSettings } from '../config';
import type { Hooks } from '../hook-contract';
import { createMetrics } from '../metrics';
import { sendMessage } from '../queue/enqueue';
import { dynamoClient } from '../store/dynamodb-client';
import type { MixTask } from '../store/task-store';
import { staticSecretSource } from '../zego/secrets';
import { ssmSecretSource } from '../zego/ssm-secret-source';
import { paced } from './pace-calls';
import { type ReconcileReport, type ReconcileTasksOptions, reconcileTasks } from './reconcile-tasks';
import { runScheduledCheck } from './scheduled-check';
import { serverApiLookup } from './server-api-lookup';

/**
 * GetMixTaskInfo calls a check starts per second at most, all apps together: a fifth of ZEGO's
 * 100 per second per app, leaving the rest to the app's own server. 500 lookups take ~25 s.
 */
const LOOKUPS_PER_SECOND = 20;

/**
 * Lookups start only while more than this (plus two calls' timeouts, for the task in flight) is left
 * of the invocation: time for throttle backoff (7 s at most), the SQS sends, the orphan hooks and
 * publishing the metrics. Tasks left over are skipped until the next check.
 */
const RESERVED_MS = 20_000;

export interface OrphansHandlerOptions {
  config: OrphansConfig;
  /** Your code (lib/hooks.ts in the deployed function). */
  hooks: Pick<Hooks, 'onMixOrphaned'>;
  logger?: Logger;
  metrics?: Metrics;
  /** Clients; the module singletons by default. */
  dynamo?: DynamoDBClient;
  sqs?: SQSClient;
  ssm?: SSMProvider;
  /** ZEGO's server API is called with this. */
  fetch?: typeof fetch;
  /** Current time in milliseconds. */
  now?: () => number;
  /** The lookups' pace: concurrency, calls per second, throttle backoff (tests make them quick). */
  pacing?: ReconcileTasksOptions['pacing'] & { callsPerSecond?: number };
}

/**
 * The scheduled `orphans` Lambda (every orphanCheckMinutes): reconciles running tasks with ZEGO's
 * server API when a ServerSecret is configured, then reports the orphans. A run that throws is not
 * retried by Lambda (maximumRetryAttempts: 0): the next scheduled run is the retry, the Errors alarm
 * reports the failure, and the heartbeat alarm a check that keeps failing.
 */
export function createOrphansHandler({
  config,
  hooks,
  logger = new Logger({ serviceName: 'zego-mix-callbacks', persistentKeys: { function: 'orphans' } }),
  metrics = createMetrics('orphans'),
  dynamo = dynamoClient,
  sqs,
  ssm,
  fetch,
  now = Date.now,
  pacing,
}: OrphansHandlerOptions) {
  const reconcile = config.reconcile
    ? reconciler(config.reconcile, { config, logger, metrics, sqs, ssm, fetch, now, pacing })
    : undefined;

  return middy<unknown, unknown>()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .handler(async (_event, context: Context) => {
      const signal = reconcile && lookupDeadline(context, config.reconcile?.timeoutMs ?? 0);
      await runScheduledCheck({
        tableName: config.TASKS_TABLE,
        orphanAfterSeconds: config.ORPHAN_AFTER_MINUTES * 60,
        hooks,
        reconcile: reconcile && ((running) => reconcile(running, signal)),
        logger,
        metrics,
        now,
        client: dynamo,
      });
    });
}

/** Aborts when lookups must stop starting for the invocation to finish in time. */
function lookupDeadline(context: Context, timeoutMs: number): AbortSignal {
  const budgetMs = context.getRemainingTimeInMillis() - RESERVED_MS - 2 * timeoutMs;
  // A timeout of 0 would fire only after the first lookups had started.
  return budgetMs > 0 ? AbortSignal.timeout(budgetMs) : AbortSignal.abort();
}

/** Reconciliation with its secrets read once per cold start (and cached), its lookups paced. */
function reconciler(
  settings: ReconcileSettings,
  {
    config,
    logger,
    metrics,
    sqs,
    ssm,
    fetch,
    now,
    pacing: { callsPerSecond = LOOKUPS_PER_SECOND, ...pacing } = {},
  }: Required<Pick<OrphansHandlerOptions, 'config' | 'logger' | 'metrics' | 'now'>> &
    Pick<OrphansHandlerOptions, 'sqs' | 'ssm' | 'fetch' | 'pacing'>,
) {
  const secrets =
    'inline' in settings.secret
      ? staticSecretSource(settings.secret.inline)
      : ssmSecretSource({
          name: settings.secret.parameter,
          label: 'server secret',
          maxAgeSeconds: config.ZEGO_SECRET_CACHE_SECONDS,
          appIds: config.ZEGO_APP_IDS,
          provider: ssm,
          now,
          onStale: (error) =>
            logger.warn('the server secret parameter could not be refreshed; using the last good value', {
              error,
            }),
        });
  return async (running: readonly MixTask[], signal: AbortSignal | undefined): Promise<ReconcileReport> => {
    const book = await secrets();
    const lookup = paced(
      serverApiLookup({ book, endpoint: settings.endpoint, timeoutMs: settings.timeoutMs, fetch, now }),
      // Real time, not the injected clock: this paces calls, it does not date anything.
      { perSecond: callsPerSecond, sleep: pacing.sleep },
    );
    return reconcileTasks(running, {
      afterSeconds: settings.afterSeconds,
      lookup,
      send: (message) =>
        sendMessage(message, { queueUrl: settings.queueUrl, timeoutMs: settings.enqueueTimeoutMs, sqs }),
      logger,
      metrics,
      now,
      signal,
      pacing,
    });
  };
}
