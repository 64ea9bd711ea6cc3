import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { type Hooks, isSmokeTask } from '../hook-contract';
import { metric } from '../metrics';
import { isMixStart, isMixStop, type QueuedCallback } from '../queue/message';
import {
  type ApplyOutcome,
  applyMixEvent,
  type TaskStatus,
  type TaskStoreOptions,
} from '../store/task-store';
import type { CompletedBeforeUpgrade } from './legacy-completions';

export interface ProcessInput {
  /** The callback's identity (lib/zego/callback-identity.ts); the idempotency layer keys on it. */
  idempotencyKey: string;
  message: QueuedCallback;
}

/** Saved by the idempotency layer and returned again for every later delivery of the callback. */
export interface ProcessResult {
  event: string;
  outcome: ApplyOutcome | 'ignored';
  taskStatus?: TaskStatus;
}

export interface ProcessOptions {
  store: TaskStoreOptions;
  hooks: Pick<Hooks, 'onMixStarted' | 'onMixStopped'>;
  logger: Logger;
  metrics: Metrics;
  /** Milliseconds left before the function times out. */
  remainingTimeMs: () => number;
  /** Recognises a callback completed under the identity used before the upgrade (legacy-completions.ts). */
  completedBeforeUpgrade?: CompletedBeforeUpgrade;
}

/**
 * One verified callback: record it on its task, then call the user's hook, unless it is stale.
 * A callback already applied whose hook failed before (same seq) calls the hook again. Event types
 * other than mix_start and mix_stop are acknowledged and logged. A mix_stop of a run that
 * reconciliation has stopped already is recorded but calls no hook: onMixStopped ran for this run.
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

  const { outcome, task } = await applyMixEvent(message.callback, receivedAt, store);
  const fields = { ...ids, task_id: task.task_id, outcome, taskStatus: task.status, taskSeq: task.seq };
  if (outcome === 'stale') {
    metric(metrics, 'StaleCallback');
    logger.warn('callback stale', fields);
    return { event: callback.event, outcome, taskStatus: task.status };
  }
  if (outcome === 'already_applied' && (await completedBeforeUpgrade?.(callback))) {
    metric(metrics, 'DuplicateSuppressed');
    logger.info('callback already processed before the upgrade', fields);
    return { event: callback.event, outcome, taskStatus: task.status };
  }

  if (isSmokeTask(task.task_id)) {
    metric(metrics, 'CallbackProcessed');
    logger.info('smoke test callback recorded; no hook', fields);
    return { event: callback.event, outcome, taskStatus: task.status };
  }
  if (isMixStop(message) && task.reconciledAt !== undefined) {
    metric(metrics, 'StopAfterReconciliation');
    logger.info('mix_stop recorded after reconciliation stopped the run; onMixStopped is not called again', {
      ...fields,
      reconciledAt: task.reconciledAt,
    });
    metric(metrics, 'CallbackProcessed');
    return { event: callback.event, outcome, taskStatus: task.status };
  }

  const context = { idempotencyKey, receivedAt, logger, remainingTimeMs };
  if (isMixStop(message)) {
    await hooks.onMixStopped({ inferred: false, callback: message.callback, task }, context);
    metric(metrics, 'MixStopped');
    if (task.startedAt !== undefined && task.stoppedAt !== undefined) {
      metric(metrics, 'MixDuration', task.stoppedAt - task.startedAt);
    }
  } else {
    await hooks.onMixStarted({ callback: message.callback, task }, context);
    metric(metrics, 'MixStarted');
  }
  metric(metrics, 'CallbackProcessed');
  logger.info('callback processed', fields);
  return { event: callback.event, outcome, taskStatus: task.status };
}
