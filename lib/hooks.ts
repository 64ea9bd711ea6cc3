/**
 * YOUR BUSINESS LOGIC GOES HERE: finish recordings, bill, free resources. What the pipeline
 * promises about when and how often each hook runs is in `lib/hook-contract.ts` and docs/hooks.md.
 * Key what you write per run on `runId`. These defaults only log.
 */
import type { Hooks } from './hook-contract';

export const hooks: Hooks = {
  async onMixStarted({ runId, callback }, { logger }) {
    logger.info('mix started', {
      appid: callback.appid,
      task_id: callback.task_id,
      runId,
      seq: callback.seq,
      channel_id: callback.channel_id,
    });
  },

  async onMixUpdated({ runId, callback }, { logger }) {
    logger.info('mix updated', {
      appid: callback.appid,
      task_id: callback.task_id,
      runId,
      seq: callback.seq,
      channel_id: callback.channel_id,
    });
  },

  async onMixStopped(event, { logger }) {
    const { runId, task } = event;
    const durationSeconds = task.startedAt && task.stoppedAt ? task.stoppedAt - task.startedAt : undefined;
    if (event.inferred) {
      // No callback: ZEGO no longer knows the task. The mix ended before reconciledAt, so the
      // duration is at most this.
      logger.info('mix stopped (inferred by reconciliation)', {
        appid: task.appid,
        task_id: task.task_id,
        runId,
        seq: task.seq,
        channel_id: task.channel_id,
        reconciledAt: event.reconciledAt,
        maxDurationSeconds: durationSeconds,
      });
      return;
    }
    const { callback } = event;
    logger.info('mix stopped', {
      appid: callback.appid,
      task_id: callback.task_id,
      runId,
      seq: callback.seq,
      channel_id: callback.channel_id,
      durationSeconds,
    });
  },

  async onMixOrphaned({ runId, task, runningSeconds }, { logger }) {
    logger.warn('mix orphaned', {
      appid: task.appid,
      task_id: task.task_id,
      runId,
      channel_id: task.channel_id,
      runningSeconds,
    });
  },
};
