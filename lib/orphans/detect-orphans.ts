import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Hooks } from '../hook-contract';
import { metric } from '../metrics';
import { documentClient } from '../store/dynamodb-client';
import { type MixTask, markOrphanReported, RUNNING_INDEX, scanTasks } from '../store/task-store';

export interface DetectOrphansOptions {
  tableName: string;
  maxAgeSeconds: number;
  hooks: Pick<Hooks, 'onMixOrphaned'>;
  logger: Logger;
  metrics: Metrics;
  /** Current time in milliseconds. */
  now?: () => number;
  client?: DynamoDBDocumentClient;
}

export interface OrphanReport {
  running: number;
  orphaned: MixTask[];
  newlyReported: string[];
}

/**
 * Finds tasks running longer than `maxAgeSeconds` with no stop: ZEGO sends no mix_stop when a mix
 * dies abnormally or its stop fails, and drops a callback after its retries. Reads only the sparse
 * index of running tasks. Calls onMixOrphaned once per run of a task, then marks it reported; a
 * hook that throws is called again on the next check. Publishes RunningTasks and OrphanedTasks, and
 * OrphanCheckCompleted once the run has succeeded: the heartbeat.
 */
export async function detectOrphans({
  tableName,
  maxAgeSeconds,
  hooks,
  logger,
  metrics,
  now = Date.now,
  client = documentClient,
}: DetectOrphansOptions): Promise<OrphanReport> {
  const nowSeconds = Math.floor(now() / 1000);
  const running = await scanTasks({ tableName, client }, RUNNING_INDEX);
  const orphaned = running.filter((task) => (task.runningSince ?? nowSeconds) < nowSeconds - maxAgeSeconds);
  metric(metrics, 'RunningTasks', running.length);
  metric(metrics, 'OrphanedTasks', orphaned.length);

  const newlyReported: string[] = [];
  const failures: unknown[] = [];
  for (const task of orphaned.filter((t) => !t.orphanReportedAt)) {
    const runningSeconds = nowSeconds - (task.runningSince ?? nowSeconds);
    try {
      await hooks.onMixOrphaned({ task, runningSeconds }, { logger });
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
  logger.info('orphan check', {
    running: running.length,
    orphaned: orphaned.length,
    newlyReported: newlyReported.length,
  });
  if (failures.length > 0)
    throw new AggregateError(failures, `${failures.length} orphan hook call(s) failed`);
  metric(metrics, 'OrphanCheckCompleted');
  return { running: running.length, orphaned, newlyReported };
}
