/**
 * YOUR BUSINESS LOGIC GOES HERE: finish recordings, bill, free resources. What the pipeline
 * promises about when and how often each hook runs is in `lib/hook-contract.ts` (README, "Hooks").
 * These defaults only log.
 */
import type { Hooks } from './hook-contract';

export const hooks: Hooks = {
  async onMixStarted({ callback }, { logger }) {
    logger.info('mix started', {
      appid: callback.appid,
      task_id: callback.task_id,
      seq: callback.seq,
      channel_id: callback.channel_id,
    });
  },

  async onMixStopped({ callback, task }, { logger }) {
    const durationSeconds = task.startedAt && task.stoppedAt ? task.stoppedAt - task.startedAt : undefined;
    logger.info('mix stopped', {
      appid: callback.appid,
      task_id: callback.task_id,
      seq: callback.seq,
      channel_id: callback.channel_id,
      durationSeconds,
    });
  },

  async onMixOrphaned({ task, runningSeconds }, { logger }) {
    logger.warn('mix orphaned', {
      appid: task.appid,
      task_id: task.task_id,
      channel_id: task.channel_id,
      runningSeconds,
    });
  },
};
