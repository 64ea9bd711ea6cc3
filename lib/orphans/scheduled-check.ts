import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Hooks } from '../hook-contract';
import { metric } from '../metrics';
import { dynamoClient } from '../store/dynamodb-client';
import { type MixTask, RUNNING_INDEX, scanTasks } from '../store/task-store';
import { detectOrphans, type OrphanReport } from './detect-orphans';
import type { ReconcileReport } from './reconcile-tasks';

export interface ScheduledCheckOptions {
  tableName: string;
  orphanAfterSeconds: number;
  hooks: Pick<Hooks, 'onMixOrphaned'>;
  /** Reconciliation of the running tasks, when it is on (orphans-handler.ts builds it). */
  reconcile?: (running: readonly MixTask[]) => Promise<ReconcileReport>;
  logger: Logger;
  metrics: Metrics;
  /** Current time in milliseconds. */
  now?: () => number;
  client?: DynamoDBClient;
}

export interface CheckReport extends Omit<OrphanReport, 'failures'> {
  running: number;
  reconciliation?: ReconcileReport;
}

/**
 * One run of the scheduled check: reads the running tasks once, reconciles them with ZEGO (when on),
 * then reports orphans among those not just queued for a stop. A failure of one part does not stop
 * the other; the run throws at the end if anything failed (the Errors alarm), and only a run with
 * no failure publishes OrphanCheckCompleted, the heartbeat. Publishes RunningTasks.
 */
export async function runScheduledCheck({
  tableName,
  orphanAfterSeconds,
  hooks,
  reconcile,
  logger,
  metrics,
  now = Date.now,
  client = dynamoClient,
}: ScheduledCheckOptions): Promise<CheckReport> {
  const running = await scanTasks({ tableName, client }, RUNNING_INDEX);
  metric(metrics, 'RunningTasks', running.length);

  let reconciliation: ReconcileReport | undefined;
  const reconcileFailures: unknown[] = [];
  if (reconcile) {
    try {
      reconciliation = await reconcile(running);
      reconcileFailures.push(...reconciliation.failures);
    } catch (error) {
      // The ServerSecret could not be read, or a bug: no task was changed; the next check tries again.
      reconcileFailures.push(error);
      logger.error('reconciliation failed; no task changed, the next check tries again', { error });
    }
  }
  // A task just queued for a stop is not an orphan: the consumer stops it in a moment.
  const queued = new Set(reconciliation?.enqueued);
  const orphans = await detectOrphans(
    running.filter((task) => !queued.has(task)),
    { tableName, maxAgeSeconds: orphanAfterSeconds, hooks, logger, metrics, now, client },
  );

  const problems = [
    ...(orphans.failures.length > 0 ? [`${orphans.failures.length} orphan hook call(s) failed`] : []),
    ...(reconcileFailures.length > 0 ? [`${reconcileFailures.length} reconciliation step(s) failed`] : []),
  ];
  if (problems.length > 0)
    throw new AggregateError([...orphans.failures, ...reconcileFailures], problems.join('; '));
  metric(metrics, 'OrphanCheckCompleted');
  return {
    running: running.length,
    orphaned: orphans.orphaned,
    newlyReported: orphans.newlyReported,
    reconciliation,
  };
}
