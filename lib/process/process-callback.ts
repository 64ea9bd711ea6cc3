import { isSmokeTask } from '../hook-contract';
import { metric } from '../metrics';
import { isMixStart, isMixStop, type QueuedCallback } from '../queue/message';
import { staleRun } from '../run-life';
import { applyMixEvent } from '../store/apply-mix-event';
import type { ProcessOptions, ProcessResult } from './contract';

export interface ProcessInput {
  /** The callback's identity (lib/zego/callback-identity.ts); the idempotency layer keys on it. */
  idempotencyKey: string;
  message: QueuedCallback;
}

/**
 * One verified callback: record it on its task as the run's life says (lib/run-life.ts), then call
 * the hook of the transition it made: onMixStarted for a new run, onMixUpdated for a start of a
 * running run, onMixStopped for the run's first stop; nothing for a further stop or a stale
 * callback. A callback that made its transition before (its hook failed) calls the hook again.
 * Event types other than mix_start and mix_stop are acknowledged and logged.
 */
export async function processCallback(
  { idempotencyKey, message }: ProcessInput,
  { store, hooks, logger, metrics, remainingTimeMs, completedBeforeUpgrade }: ProcessOptions,
): Promise<ProcessResult> {
  const { callback, receivedAt } = message;
  const ids = { appid: callback.appid, event: callback.event, seq: callback.seq };
  if (!isMixStart(message) && !isMixStop(message)) {
    metric(metrics, 'IgnoredEvent');
    logger.info('callback ignored', { ...ids, outcome: 'ignored' });
    return { event: callback.event, outcome: 'ignored' };
  }

  const { outcome, transition, task } = await applyMixEvent(message.callback, receivedAt, store);
  const { runId } = task;
  const result = { event: callback.event, outcome, transition, runId, taskStatus: task.status };
  const fields = {
    ...ids,
    task_id: task.task_id,
    outcome,
    transition,
    runId,
    taskStatus: task.status,
    taskSeq: task.seq,
  };
  if (transition === 'stale') {
    metric(metrics, 'StaleCallback');
    const belongsTo = staleRun(runId, callback.seq);
    // A stale stop of an earlier run is one an operator must look at: that run's onMixStopped does
    // not run from it (docs/operations.md, "A stale mix_stop").
    logger.warn(isMixStop(message) ? 'mix_stop stale, no onMixStopped from it' : 'callback stale', {
      ...fields,
      ...belongsTo,
    });
    return result;
  }
  if (outcome === 'already_applied' && (await completedBeforeUpgrade?.(callback))) {
    metric(metrics, 'DuplicateSuppressed');
    logger.info('callback already processed before the upgrade', fields);
    return result;
  }
  if (isSmokeTask(task.task_id)) {
    metric(metrics, 'CallbackProcessed');
    logger.info('smoke test callback recorded; no hook', fields);
    return result;
  }

  if (transition === 'stop_recorded') {
    metric(metrics, 'StopRecorded');
    metric(metrics, 'CallbackProcessed');
    logger.info('mix_stop recorded for a run already stopped; onMixStopped is not called again', {
      ...fields,
      stoppedBy: task.stoppedBy,
    });
    return result;
  }

  const context = { idempotencyKey, receivedAt, logger, remainingTimeMs };
  if (isMixStop(message)) {
    await hooks.onMixStopped({ inferred: false, runId, callback: message.callback, task }, context);
    metric(metrics, 'MixStopped');
    if (task.startedAt !== undefined && task.stoppedAt !== undefined) {
      metric(metrics, 'MixDuration', task.stoppedAt - task.startedAt);
    }
  } else if (transition === 'run_updated') {
    await hooks.onMixUpdated?.({ runId, callback: message.callback, task }, context);
    metric(metrics, 'MixUpdated');
  } else {
    await hooks.onMixStarted({ runId, callback: message.callback, task }, context);
    metric(metrics, 'MixStarted');
  }
  metric(metrics, 'CallbackProcessed');
  logger.info('callback processed', fields);
  return result;
}
