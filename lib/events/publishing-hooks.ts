import type { HookContext, Hooks } from '../hook-contract';
import type { MixTask } from '../store/task-item';
import { DETAIL_TYPES, DETAIL_VERSION, orphanedEventId } from './names';
import type { PublishEvent } from './publish';

type RunHooks = Pick<Hooks, 'onMixStarted' | 'onMixUpdated' | 'onMixStopped'>;

/**
 * Publishing as a built-in hook: each hook call publishes its event first, then calls yours. A
 * failed publish throws as a failing hook does, so the record is retried (then dead-lettered) and
 * the event has the same once-per-run guarantee as your hooks. A publish that succeeded before
 * your hook failed is published again on the retry, with the same `eventId`, which consumers
 * de-duplicate on (docs/events.md). `Mix Updated` is published whether or not you have
 * onMixUpdated.
 */
export function withRunEvents<H extends RunHooks>(hooks: H, publish: PublishEvent): RunHooks {
  return {
    async onMixStarted(event, context) {
      await publish(DETAIL_TYPES.started, { ...ofCallback(event, context), callback: event.callback });
      await hooks.onMixStarted(event, context);
    },
    async onMixUpdated(event, context) {
      await publish(DETAIL_TYPES.updated, { ...ofCallback(event, context), callback: event.callback });
      await hooks.onMixUpdated?.(event, context);
    },
    async onMixStopped(event, context) {
      const common = ofCallback(event, context);
      await publish(
        DETAIL_TYPES.stopped,
        event.inferred
          ? { ...common, inferred: true, reconciledAt: event.reconciledAt }
          : { ...common, inferred: false, callback: event.callback },
      );
      await hooks.onMixStopped(event, context);
    },
  };
}

/** What every event of a consumer's hook call carries: its run, its task, and when it came. */
function ofCallback({ runId, task }: { runId: string; task: MixTask }, context: HookContext) {
  return {
    version: DETAIL_VERSION,
    eventId: context.idempotencyKey,
    runId,
    appid: task.appid,
    task_id: task.task_id,
    task,
    receivedAt: context.receivedAt,
  };
}

/**
 * The orphan report's event, then your onMixOrphaned. A failed publish fails the report as a
 * failing hook does: both run again on the next check.
 */
export function withOrphanEvents(hooks: Pick<Hooks, 'onMixOrphaned'>, publish: PublishEvent) {
  return {
    async onMixOrphaned(event, context) {
      const { runId, task, runningSeconds } = event;
      await publish(DETAIL_TYPES.orphaned, {
        version: DETAIL_VERSION,
        eventId: orphanedEventId(runId),
        runId,
        appid: task.appid,
        task_id: task.task_id,
        task,
        runningSeconds,
      });
      await hooks.onMixOrphaned(event, context);
    },
  } satisfies Pick<Hooks, 'onMixOrphaned'>;
}
