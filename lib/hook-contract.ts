/**
 * The contract between this pipeline and your code in `lib/hooks.ts` (README, "Hooks").
 *
 * The consumer calls onMixStarted / onMixStopped once per distinct ZEGO callback (appid + task_id +
 * event + seq), after the task store has been updated:
 * - A hook that returns completes the callback: it is never called again for it, however often
 *   ZEGO or SQS deliver it again within the idempotency retention (7 days by default).
 * - A hook that throws (or times out) fails the record: SQS delivers it again, and the hook is
 *   called again, up to maxReceiveCount (5) deliveries; then the callback goes to the DLQ. Later
 *   callbacks of the same task wait meanwhile. So a hook may run more than once for a callback
 *   when it fails part-way: make outside effects idempotent with `context.idempotencyKey`.
 * - A stale callback (seq lower than the one the task already has) calls no hook.
 * - Keep each call well under `context.remainingTimeMs()`: a batch holds up to 10 callbacks and
 *   the function times out after 30 s.
 * - Task ids starting with SMOKE_TASK_PREFIX are the post-deploy smoke test's (`zego smoke`): their
 *   callbacks are recorded like any other but call no hook, so your code never sees them.
 *
 * onMixStopped is called once per run of a task (a run starts with a mix_start), from one of two
 * sources, with the same guarantees:
 * - the mix_stop callback (`inferred: false`);
 * - reconciliation (`inferred: true`): ZEGO sends no mix_stop when a mix dies abnormally or its stop
 *   request fails, so the scheduled check asks ZEGO's server API about tasks running longer than
 *   RECONCILE_AFTER_MINUTES; when ZEGO no longer knows the task, the consumer stops it and calls the
 *   hook. There is no callback then. A genuine mix_stop arriving later for the same run is recorded
 *   on the task but calls no hook a second time.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { QueuedMixStart, QueuedMixStop } from './queue/message';
import type { MixTask } from './store/task-store';

/** The smoke test's reserved task ids. */
export const SMOKE_TASK_PREFIX = 'zego-smoke-';

export function isSmokeTask(taskId: string): boolean {
  return taskId.startsWith(SMOKE_TASK_PREFIX);
}

export interface HookContext {
  /**
   * The same for every delivery of what triggered the call: the callback's identity,
   * `appid:task_id:event:seq`, or for a reconciled stop `appid:task_id:#reconcile:seq`.
   */
  idempotencyKey: string;
  /** When our endpoint received the callback (for a reconciled stop: when the check queued it), ISO 8601. */
  receivedAt: string;
  logger: Logger;
  /** Milliseconds left before the consumer function times out. */
  remainingTimeMs: () => number;
}

/** The stop as ZEGO reported it with its mix_stop callback. */
export interface MixStoppedByCallback {
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
 */
export interface MixStoppedByReconciliation {
  inferred: true;
  /** The task after the stop was recorded: `stoppedBy: 'reconciliation'`. */
  task: MixTask;
  /** When ZEGO was found not to know the task any more, ISO 8601. */
  reconciledAt: string;
}

export type MixStoppedEvent = MixStoppedByCallback | MixStoppedByReconciliation;

export interface MixStartedEvent {
  callback: QueuedMixStart;
  task: MixTask;
}

export interface MixOrphanedEvent {
  /** A task still running longer than ORPHAN_AFTER_MINUTES after its start, with no stop seen. */
  task: MixTask;
  /** How long it has been running, in seconds. */
  runningSeconds: number;
}

export interface OrphanContext {
  logger: Logger;
}

export interface Hooks {
  onMixStarted(event: MixStartedEvent, context: HookContext): Promise<void>;
  /** Once per run of a task: from its mix_stop, or inferred by reconciliation (`event.inferred`). */
  onMixStopped(event: MixStoppedEvent, context: HookContext): Promise<void>;
  /**
   * Called by the scheduled orphan check, once per run of a task (until it stops or starts again);
   * again on the next check if it throws. The fallback for what reconciliation cannot close: it is
   * off, ZEGO cannot be asked, or ZEGO still reports the mix running.
   */
  onMixOrphaned(event: MixOrphanedEvent, context: OrphanContext): Promise<void>;
}
