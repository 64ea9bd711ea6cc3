import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Hooks } from '../hook-contract';
import { metric } from '../metrics';
import type { Reconciler } from '../reconcile/reconciler';
import { recordCheck } from '../store/check-writes';
import type { RunningTask } from '../store/task-item';
import { runningTasks, type TasksTable, tallyRunningTasks } from '../store/task-reads';
import { printable } from '../text/printable';
import { reportOrphan } from './report-orphan';

/** A check time no run reaches: the task is looked at again only if its run changes. */
export const NOT_AGAIN = 9_999_999_999;

/** How many failed or unaskable lookups a check's log lines describe one by one. */
const EXAMPLES = 5;

export interface ScheduledCheckOptions {
  table: TasksTable;
  /** A run going this long with no stop is orphaned. */
  orphanAfterSeconds: number;
  hooks: Pick<Hooks, 'onMixOrphaned'>;
  /** Reconciliation, when it is on; building it reads the ServerSecret, which may fail. */
  reconcile?: () => Promise<Reconciler>;
  /** Tasks looked at in parallel (each may wait on ZEGO). */
  concurrency?: number;
  /** Running tasks read per request and shard (lib/store/task-reads.ts). */
  pageSize?: number;
  /** Once aborted, no further task is started (the function's time is running out). */
  signal?: AbortSignal;
  logger: Logger;
  metrics: Metrics;
  /** Current time in milliseconds. */
  now?: () => number;
}

export interface CheckReport {
  running: number;
  orphaned: number;
  /** Tasks due that this check looked at. */
  visited: number;
  newOrphans: number;
  /** Tasks due that this check left for the next one (out of time, ZEGO throttling, SQS failing). */
  deferred: number;
  reconciliation?: { lookups: number; failed: number; unaskable: number; enqueued: number };
}

/**
 * One run of the scheduled check. It reads the running tasks that are due (the running index keeps
 * each one's next check time), the most overdue first, page by page, so its memory does not grow
 * with the number of running tasks. For each: reconciliation asks ZEGO about it when it is old
 * enough (a task ZEGO no longer knows is queued for the consumer to stop), the orphan report calls
 * onMixOrphaned once for a run gone too long, and its next check is set. What it cannot reach before
 * its deadline stays due for the next run, counted in CheckDeferred.
 *
 * A failure of one task does not stop the others; the run throws at the end if anything failed
 * (the Errors alarm), and only a run with no failure publishes OrphanCheckCompleted, the heartbeat.
 * Publishes RunningTasks, OrphanedTasks, NewOrphans and CheckDeferred; with reconciliation on,
 * ReconcileLookups, ReconcileLookupsFailed, ReconcileUnaskable and ReconcileEnqueued (0 included).
 */
export async function runScheduledCheck({
  table,
  orphanAfterSeconds,
  hooks,
  reconcile,
  concurrency = 8,
  pageSize,
  signal,
  logger,
  metrics,
  now = Date.now,
}: ScheduledCheckOptions): Promise<CheckReport> {
  const nowMs = now();
  const nowSeconds = Math.floor(nowMs / 1000);
  const { running, orphaned } = await tallyRunningTasks({
    ...table,
    startedBefore: nowSeconds - orphanAfterSeconds,
  });
  metric(metrics, 'RunningTasks', running);
  metric(metrics, 'OrphanedTasks', orphaned);

  const failures: unknown[] = [];
  let reconciler: Reconciler | undefined;
  if (reconcile) {
    try {
      reconciler = await reconcile();
    } catch (error) {
      // The ServerSecret could not be read: no lookup this run; orphans are still reported.
      failures.push(error);
      logger.error('reconciliation failed; no task was looked up, the next check tries again', { error });
    }
  }

  const tally = { visited: 0, newOrphans: 0, lookups: 0, enqueued: 0 };
  const failed: { task: RunningTask; reason: string; detail: string }[] = [];
  const unaskable: { task: RunningTask; detail: string }[] = [];
  let halted = false; // ZEGO throttles or SQS fails: the rest waits for the next run

  /** When reconciliation looks at the task next; undefined: never (it cannot ask about it). */
  async function reconcileTask(task: RunningTask, rec: Reconciler): Promise<number | undefined | 'queued'> {
    if (nowSeconds - task.runningSince < rec.afterSeconds) return task.runningSince + rec.afterSeconds;
    const answer = await rec.ask(task);
    if (answer.state === 'unaskable') {
      unaskable.push({ task, detail: answer.detail });
      return undefined;
    }
    tally.lookups += 1;
    if (answer.state === 'running') return nowSeconds + rec.everySeconds;
    if (answer.state === 'unknown' || answer.state === 'throttled') {
      failed.push({ task, reason: answer.reason, detail: answer.detail });
      if (answer.state === 'throttled') halted = true;
      return nowSeconds + 1; // asked again next run
    }
    try {
      await rec.enqueue(task, nowMs);
      tally.enqueued += 1;
      return 'queued';
    } catch (error) {
      halted = true;
      failures.push(error);
      logger.error('a reconciliation could not be queued; the next check finds the task again', {
        appid: task.appid,
        task_id: task.task_id,
        error,
      });
      return nowSeconds + 1;
    }
  }

  async function visit(task: RunningTask): Promise<void> {
    tally.visited += 1;
    const next = reconciler ? await reconcileTask(task, reconciler) : undefined;
    // Queued for a stop: the consumer takes it off the index in a moment. Not an orphan either.
    if (next === 'queued') return;
    const orphanAt = task.runningSince + orphanAfterSeconds;
    const reported = task.orphanReportedAt !== undefined;
    if (!reported && nowSeconds > orphanAt) {
      const outcome = await reportOrphan(
        task,
        { nowMs, nextCheckAt: next ?? NOT_AGAIN },
        { table, hooks, logger },
      );
      if (outcome === 'reported') tally.newOrphans += 1;
      if (outcome === 'failed') failures.push(new Error(`onMixOrphaned failed for ${task.runId}`));
      return;
    }
    const orphanNext = reported ? undefined : orphanAt + 1;
    const checkAt = Math.min(next ?? NOT_AGAIN, orphanNext ?? NOT_AGAIN);
    await recordCheck(task, { checkAt }, table);
  }

  const due = runningTasks({ ...table, dueBy: nowSeconds, pageSize });
  const worker = async () => {
    while (!halted && !signal?.aborted) {
      const next = await due.next();
      if (next.done) return;
      await visit(next.value);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await due.return(undefined);
  }
  const deferred = halted || signal?.aborted ? await tallyDue(table, nowSeconds) : 0;

  metric(metrics, 'NewOrphans', tally.newOrphans);
  metric(metrics, 'CheckDeferred', deferred);
  const reconciliation = reconciler && {
    lookups: tally.lookups,
    failed: failed.length,
    unaskable: unaskable.length,
    enqueued: tally.enqueued,
  };
  if (reconciliation) {
    metric(metrics, 'ReconcileLookups', reconciliation.lookups);
    metric(metrics, 'ReconcileLookupsFailed', reconciliation.failed);
    metric(metrics, 'ReconcileUnaskable', reconciliation.unaskable);
    metric(metrics, 'ReconcileEnqueued', reconciliation.enqueued);
  }
  logDetails(logger, failed, unaskable);
  // A check that looked at nothing says so quietly (debug): it runs every few minutes.
  const log = tally.visited > 0 || deferred > 0 ? logger.info.bind(logger) : logger.debug.bind(logger);
  log('scheduled check', {
    running,
    orphaned,
    ...tally,
    deferred,
    ...(reconciliation && { failed: failed.length }),
  });

  if (failures.length > 0)
    throw new AggregateError(failures, `${failures.length} step(s) of the scheduled check failed`);
  metric(metrics, 'OrphanCheckCompleted');
  return {
    running,
    orphaned,
    visited: tally.visited,
    newOrphans: tally.newOrphans,
    deferred,
    reconciliation,
  };
}

async function tallyDue(table: TasksTable, nowSeconds: number): Promise<number> {
  return (await tallyRunningTasks({ ...table, dueBy: nowSeconds })).running;
}

function logDetails(
  logger: Logger,
  failed: { task: RunningTask; reason: string; detail: string }[],
  unaskable: { task: RunningTask; detail: string }[],
): void {
  const example = ({ task, ...rest }: { task: RunningTask }) => ({
    appid: task.appid,
    task_id: printable(task.task_id),
    ...rest,
  });
  if (unaskable.length > 0) {
    logger.info('some task ids cannot be asked of ZEGO; those mixes are left to the orphan report', {
      unaskable: unaskable.length,
      examples: unaskable.slice(0, EXAMPLES).map(example),
    });
  }
  if (failed.length > 0) {
    const reasons: Record<string, number> = {};
    for (const { reason } of failed) reasons[reason] = (reasons[reason] ?? 0) + 1;
    logger.warn(
      'ZEGO could not say whether some mixes still run; they stay running and are asked again next check',
      { failed: failed.length, reasons, examples: failed.slice(0, EXAMPLES).map(example) },
    );
  }
}
