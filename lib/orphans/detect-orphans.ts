import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Hooks } from '../hook-contract';
import { metric } from '../metrics';
import { dynamoClient } from '../store/dynamodb-client';
import { type MixTask, markOrphanReported } from '../store/task-store';

export interface DetectOrphansOptions {
  tableName: string;
  maxAgeSeconds: number;
  hooks: Pick<Hooks, 'onMixOrphaned'>;
  logger: Logger;
  metrics: Metrics;
  /** Current time in milliseconds. */
  now?: () => number;
  client?: DynamoDBClient;
}

export interface OrphanReport {
  orphaned: MixTask[];
  newlyReported: string[];
  /** Hook calls that threw: called again on the next check. */
  failures: unknown[];
}

/**
 * Among running tasks (read from the sparse index of running tasks), finds those running longer
 * than `maxAgeSeconds` with no stop: ZEGO sends no mix_stop when a mix dies abnormally or its stop
 * fails, and drops a callback after its retries; reconciliation closes most, this reports the rest.
 * Calls onMixOrphaned once per run of a task, then marks it reported; a hook that throws is called
 * again on the next check. Publishes OrphanedTasks and NewOrphans.
 */
export async function detectOrphans(
  running: readonly MixTask[],
  {
    tableName,
    maxAgeSeconds,
    hooks,
    logger,
    metrics,
    now = Date.now,
    client = dynamoClient,
  }: DetectOrphansOptions,
): Promise<OrphanReport> {
  const nowSeconds = Math.floor(now() / 1000);
  const orphaned = running.filter((task) => (task.runningSince ?? nowSeconds) < nowSeconds - maxAgeSeconds);
  metric(metrics, 'OrphanedTasks', orphaned.length);

  const newlyReported: string[] = [];
  const failures: unknown[] = [];
  for (const task of orphaned.filter((t) => !t.orphanReportedAt)) {
    const runningSeconds = nowSeconds - (task.runningSince ?? nowSeconds);
    try {
      await hooks.onMixOrphaned({ runId: task.runId, task, runningSeconds }, { logger });
      if (await markOrphanReported(task, new Date(now()).toISOString(), { tableName, client }))
        newlyReported.push(task.task_id);
    } catch (error) {
      failures.push(error);
      logger.error('orphan hook failed; it runs again on the next check', {
        appid: task.appid,
        task_id: task.task_id,
        error,
      });
    }
  }
  metric(metrics, 'NewOrphans', newlyReported.length);
  // A check that found nothing to report says so quietly (debug): it runs every few minutes.
  const log = orphaned.length > 0 ? logger.info.bind(logger) : logger.debug.bind(logger);
  log('orphan check', {
    running: running.length,
    orphaned: orphaned.length,
    newlyReported: newlyReported.length,
  });
  return { orphaned, newlyReported, failures };
}
