import { metric } from '../metrics';
import type { QueuedReconciliation } from '../queue/message';
import { applyReconciliation } from '../store/check-writes';
import type { ProcessOptions, ProcessResult } from './contract';

export interface ReconciliationInput {
  /** The reconciliation's identity (`appid:task_id:#reconcile:seq`); the idempotency layer keys on it. */
  idempotencyKey: string;
  message: QueuedReconciliation;
}

/** The `event` of a reconciliation's result and log lines: no ZEGO event name can be it. */
export const RECONCILIATION_EVENT = '#reconcile';

/**
 * A task that ZEGO no longer knows: stop the run the check saw running, then call onMixStopped
 * with `inferred: true`. If the task stopped (its genuine mix_stop) or started again first, the
 * reconciliation is stale and calls no hook. Applied before but the hook failed (a retry): the hook
 * is called again, as for a callback.
 */
export async function processReconciliation(
  { idempotencyKey, message }: ReconciliationInput,
  { store, hooks, logger, metrics, remainingTimeMs }: ProcessOptions,
): Promise<ProcessResult> {
  const { reconciliation, receivedAt } = message;
  const { outcome, transition, task } = await applyReconciliation(reconciliation, store);
  // Saved by the idempotency layer, which refuses an undefined value: a task that is gone has none.
  const result = {
    event: RECONCILIATION_EVENT,
    outcome,
    transition,
    ...(task && { runId: task.runId, taskStatus: task.status }),
  };
  const fields = {
    appid: reconciliation.appid,
    task_id: reconciliation.task_id,
    seq: reconciliation.seq,
    event: RECONCILIATION_EVENT,
    outcome,
    transition,
    runId: task?.runId,
    taskStatus: task?.status,
    taskSeq: task?.seq,
  };
  if (outcome === 'stale') {
    metric(metrics, 'ReconcileStale');
    logger.info('reconciliation stale: the task stopped, started again or was updated first', fields);
    return result;
  }

  await hooks.onMixStopped(
    { inferred: true, runId: task.runId, task, reconciledAt: reconciliation.checkedAt },
    { idempotencyKey, receivedAt, logger, remainingTimeMs },
  );
  metric(metrics, 'MixReconciled');
  metric(metrics, 'MixStopped');
  logger.info('mix stopped by reconciliation', { ...fields, reconciledAt: reconciliation.checkedAt });
  return result;
}
