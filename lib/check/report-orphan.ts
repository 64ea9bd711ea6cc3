import type { Logger } from '@aws-lambda-powertools/logger';
import type { Hooks } from '../hook-contract';
import { recordCheck } from '../store/check-writes';
import type { RunningTask } from '../store/task-item';
import { getTask, type TasksTable } from '../store/task-reads';

export type OrphanOutcome = 'reported' | 'gone' | 'failed';

/**
 * Reports a run running too long with no stop: ZEGO sends no mix_stop when a mix dies abnormally or
 * its stop fails, and drops a callback after its retries; reconciliation closes most, this reports
 * the rest. Calls onMixOrphaned with the task as stored, then marks the run reported and sets its
 * next check, both only if it is still the run the check read, so the hook runs once per run; a
 * hook that throws is called again on the next check. `gone`: the run stopped or changed meanwhile.
 */
export async function reportOrphan(
  task: RunningTask,
  { nowMs, nextCheckAt }: { nowMs: number; nextCheckAt: number },
  { table, hooks, logger }: { table: TasksTable; hooks: Pick<Hooks, 'onMixOrphaned'>; logger: Logger },
): Promise<OrphanOutcome> {
  // The index holds a few fields; the hook gets the task as stored.
  const stored = await getTask(task.appid, task.task_id, table);
  if (stored?.status !== 'running' || stored.runId !== task.runId) return 'gone';
  const runningSeconds = Math.floor(nowMs / 1000) - task.runningSince;
  try {
    await hooks.onMixOrphaned({ runId: task.runId, task: stored, runningSeconds }, { logger });
  } catch (error) {
    logger.error('orphan hook failed; it runs again on the next check', {
      appid: task.appid,
      task_id: task.task_id,
      runId: task.runId,
      error,
    });
    return 'failed';
  }
  const reportedAt = new Date(nowMs).toISOString();
  const marked = await recordCheck(task, { checkAt: nextCheckAt, orphanReportedAt: reportedAt }, table);
  return marked ? 'reported' : 'gone';
}
