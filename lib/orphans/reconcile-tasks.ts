import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { metric } from '../metrics';
import { type PreparedMessage, prepareReconciliation } from '../queue/enqueue';
import type { MixTask } from '../store/task-store';
import { printable } from '../text/printable';
import { type FindEndedTasksOptions, findEndedTasks } from '../zego-server-api/find-ended-tasks';
import type { TaskInfoLookup } from './server-api-lookup';

export interface ReconcileTasksOptions {
  /** A task running at least this long (since ZEGO's start time) with no stop is looked up. */
  afterSeconds: number;
  lookup: TaskInfoLookup;
  /** Puts a message on the callback queue; throws when SQS did not take it. */
  send: (message: PreparedMessage) => Promise<unknown>;
  logger: Logger;
  metrics: Metrics;
  /** Current time in milliseconds. */
  now?: () => number;
  /** Once aborted, no further lookup starts (the function's time is running out). */
  signal?: AbortSignal;
  /** findEndedTasks' pacing (concurrency, lookup cap, throttle backoff); its defaults otherwise. */
  pacing?: Pick<
    FindEndedTasksOptions,
    'concurrency' | 'maxLookups' | 'throttleBackoffMs' | 'maxThrottleRetries' | 'sleep'
  >;
}

export interface ReconcileReport {
  /** Running tasks old enough to be looked up (those whose id cannot be asked about included). */
  candidates: number;
  /** ZEGO knows none of their task-id forms: queued for the consumer to stop. */
  enqueued: MixTask[];
  /** ZEGO still runs them: nothing changes. */
  running: MixTask[];
  /** No conclusion this check (errors, throttling, unknown codes): nothing changes; asked again next check. */
  unknown: MixTask[];
  /** Not looked up this check (over the cap, throttled, out of time): asked next check. */
  skipped: MixTask[];
  /** What SQS did not take: the check fails once it has done the rest. */
  failures: unknown[];
}

/** How many failed lookups a check's log line describes one by one. */
const EXAMPLES = 5;

/**
 * Closes what ZEGO's missing mix_stop leaves open. Asks ZEGO (GetMixTaskInfo, every task-id form,
 * a few at a time, backing off when throttled) about each task running longer than `afterSeconds`;
 * a task ZEGO knows under no form is queued as a reconciliation in its task's message group, and the
 * consumer stops it and calls onMixStopped (inferred). This function changes no task itself, so the
 * store sees one writer per task, in order, with the consumer's retries and idempotency.
 *
 * A task whose id no URL can ask about is never looked up and never stopped here: it is counted in
 * ReconcileUnaskable, not as a failed lookup (that would keep the alarm on for good), and the orphan
 * report covers it.
 *
 * Publishes ReconcileLookups, ReconcileLookupsFailed (0 included: their alarm counts checks),
 * ReconcileUnaskable and ReconcileEnqueued.
 */
export async function reconcileTasks(
  running: readonly MixTask[],
  { afterSeconds, lookup, send, logger, metrics, now = Date.now, signal, pacing = {} }: ReconcileTasksOptions,
): Promise<ReconcileReport> {
  const nowSeconds = Math.floor(now() / 1000);
  const candidates = running.filter(
    (task) => task.runningSince !== undefined && task.runningSince <= nowSeconds - afterSeconds,
  );
  const plan = await findEndedTasks(candidates, { ...pacing, lookup, signal });
  const unknown = plan.unknown.map(({ task }) => task);
  metric(metrics, 'ReconcileLookups', plan.ended.length + plan.running.length + unknown.length);
  metric(metrics, 'ReconcileLookupsFailed', unknown.length);
  metric(metrics, 'ReconcileUnaskable', plan.unaskable.length);
  if (plan.unaskable.length > 0) {
    logger.info('some task ids cannot be asked of ZEGO; those mixes are left to the orphan report', {
      unaskable: plan.unaskable.length,
      examples: plan.unaskable.slice(0, EXAMPLES).map(({ task, detail }) => ({
        appid: task.appid,
        task_id: printable(task.task_id),
        detail,
      })),
    });
  }
  if (plan.unknown.length > 0) {
    logger.warn(
      'ZEGO could not say whether some mixes still run; they stay running and are asked again next check',
      {
        failed: plan.unknown.length,
        reasons: countBy(plan.unknown.map(({ reason }) => reason)),
        examples: plan.unknown.slice(0, EXAMPLES).map(({ task, reason, detail }) => ({
          appid: task.appid,
          task_id: task.task_id,
          reason,
          detail,
        })),
      },
    );
  }

  // One time for the check: when ZEGO was found not to know these tasks.
  const checkedAtMs = now();
  const checkedAt = new Date(checkedAtMs).toISOString();
  const enqueued: MixTask[] = [];
  const failures: unknown[] = [];
  for (const task of plan.ended) {
    try {
      await send(
        prepareReconciliation(
          { appid: task.appid, task_id: task.task_id, seq: task.seq, checkedAt },
          checkedAtMs,
        ),
      );
      enqueued.push(task);
    } catch (error) {
      // SQS is failing: the rest would wait on it too. They stay running and are found again next check.
      failures.push(error);
      logger.error('a reconciliation could not be queued; the next check finds the task again', {
        appid: task.appid,
        task_id: task.task_id,
        notQueued: plan.ended.length - enqueued.length,
        error,
      });
      break;
    }
  }
  metric(metrics, 'ReconcileEnqueued', enqueued.length);
  // Nothing looked up, nothing to say but in debug: the check runs every few minutes.
  const log = candidates.length > 0 ? logger.info.bind(logger) : logger.debug.bind(logger);
  log('reconciliation', {
    candidates: candidates.length,
    ended: plan.ended.length,
    enqueued: enqueued.length,
    running: plan.running.length,
    unknown: unknown.length,
    skipped: plan.skipped.length,
    unaskable: plan.unaskable.length,
    throttled: plan.throttled,
  });
  return {
    candidates: candidates.length,
    enqueued,
    running: plan.running,
    unknown,
    skipped: plan.skipped,
    failures,
  };
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
