/**
 * The contract between this pipeline and your code in `lib/hooks.ts` (docs/hooks.md).
 *
 * Your hooks follow a mix run's life (lib/run-life.ts), not each callback. A run is one mix of a
 * task, from its mix_start to its stop; `runId` names it in every event and on the task.
 * - onMixStarted: once per run, for the mix_start of a task that is not running.
 * - onMixUpdated (optional): a further mix_start while the run is running (StartMix called again on
 *   a running task updates the mix), once per such callback.
 * - onMixStopped: once per run, whichever comes first: its mix_stop (`inferred: false`), or
 *   reconciliation (`inferred: true`): ZEGO sends no mix_stop when a mix dies abnormally or its stop
 *   request fails, so the scheduled check asks ZEGO's server API about tasks running longer than
 *   RECONCILE_AFTER_MINUTES and stops those ZEGO no longer knows. A further mix_stop of a stopped run
 *   (StopMix called twice, the genuine stop after a reconciled one) is recorded and calls nothing.
 * - A stale callback (older than what the task holds) calls no hook.
 * - With run events on (stage parameter publishEvents), each call first publishes its EventBridge
 *   event (lib/events/publishing-hooks.ts, docs/events.md), then calls yours.
 *
 * Each hook call completes at most once for what triggered it:
 * - A hook that returns completes it: it is never called again for it, however often ZEGO or SQS
 *   deliver the callback again within the idempotency retention (7 days by default), unless the
 *   function times out after it returned and before its completion was recorded.
 * - A hook that throws (or times out) fails the record: SQS delivers it again, and the hook is
 *   called again, up to maxReceiveCount (5) deliveries; then the callback goes to the DLQ. Later
 *   callbacks of the same task wait meanwhile. So a hook may run more than once when it fails
 *   part-way: key outside effects on `runId` (per run) or `context.idempotencyKey` (per callback).
 * - Keep each call well under `context.remainingTimeMs()`: a batch holds up to 10 callbacks and
 *   the function times out after 30 s.
 * - Task ids starting with SMOKE_TASK_PREFIX are the post-deploy smoke test's (`zego smoke`): their
 *   callbacks are recorded like any other but call no hook, so your code never sees them.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { QueuedMixStart, QueuedMixStop } from './queue/message';
import type { MixTask } from './store/task-item';

/** The smoke test's reserved task ids. */
export const SMOKE_TASK_PREFIX = 'zego-smoke-';

export function isSmokeTask(taskId: string): boolean {
  return taskId.startsWith(SMOKE_TASK_PREFIX);
}

/** @public (for your hooks: lib/hooks.ts) */
export interface HookContext {
  /**
   * The same for every delivery of what triggered the call, and different for each callback: the
   * callback's identity, `appid:task_id:event:seq`, or for a reconciled stop
   * `appid:task_id:#reconcile:seq`. For one key per run, use the event's `runId`.
   */
  idempotencyKey: string;
  /** When our endpoint received the callback (for a reconciled stop: when the check queued it), ISO 8601. */
  receivedAt: string;
  logger: Logger;
  /** Milliseconds left before the consumer function times out. */
  remainingTimeMs: () => number;
}

/** The run's id: `appid:task_id:<seq of the callback that began it>`, the same for all its hooks. */
interface OfRun {
  runId: string;
}

/**
 * The stop as ZEGO reported it with its mix_stop callback.
 * @public (for your hooks: lib/hooks.ts)
 */
export interface MixStoppedByCallback extends OfRun {
  inferred: false;
  /** The callback as ZEGO sent it (normalised, unknown fields kept, no signature). */
  callback: QueuedMixStop;
  /** The task after this stop was recorded. */
  task: MixTask;
}

/**
 * The stop as reconciliation learned it: ZEGO's server API no longer knows the task, and no
 * mix_stop came. The mix ended at some time between the task's last check and `reconciledAt`, so
 * `task.stoppedAt` (the check's time) is an upper bound.
 * @public (for your hooks: lib/hooks.ts)
 */
export interface MixStoppedByReconciliation extends OfRun {
  inferred: true;
  /** The task after the stop was recorded: `stoppedBy: 'reconciliation'`. */
  task: MixTask;
  /** When ZEGO was found not to know the task any more, ISO 8601. */
  reconciledAt: string;
}

export type MixStoppedEvent = MixStoppedByCallback | MixStoppedByReconciliation;

/** @public (for your hooks: lib/hooks.ts) */
export interface MixStartedEvent extends OfRun {
  callback: QueuedMixStart;
  /** The task after the start was recorded: `running`, this run's start. */
  task: MixTask;
}

/**
 * A mix_start for a run already running: ZEGO updated the mix (its inputs, its layout).
 * @public (for your hooks: lib/hooks.ts)
 */
export interface MixUpdatedEvent extends OfRun {
  callback: QueuedMixStart;
  /** The task after the update was recorded: still this run, with the update's fields and seq. */
  task: MixTask;
}

export interface MixOrphanedEvent extends OfRun {
  /** A task still running longer than ORPHAN_AFTER_MINUTES after its start, with no stop seen. */
  task: MixTask;
  /** How long it has been running, in seconds. */
  runningSeconds: number;
}

/** @public (for your hooks: lib/hooks.ts) */
export interface OrphanContext {
  logger: Logger;
}

export interface Hooks {
  /** Once per run of a task: a mix_start when the task is not running. */
  onMixStarted(event: MixStartedEvent, context: HookContext): Promise<void>;
  /** Optional: each further mix_start of a running run (an update of the mix). */
  onMixUpdated?(event: MixUpdatedEvent, context: HookContext): Promise<void>;
  /** Once per run of a task: from its mix_stop, or inferred by reconciliation (`event.inferred`). */
  onMixStopped(event: MixStoppedEvent, context: HookContext): Promise<void>;
  /**
   * Called by the scheduled orphan check, once per run of a task (until it stops or starts again);
   * again on the next check if it throws. The fallback for what reconciliation cannot close: it is
   * off, ZEGO cannot be asked, or ZEGO still reports the mix running.
   */
  onMixOrphaned(event: MixOrphanedEvent, context: OrphanContext): Promise<void>;
}
