import { ConditionalCheckFailedException, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { NumberValueImpl as NumberValue } from '@aws-sdk/util-dynamodb';
import type { Reconciliation } from '../queue/message';
import { decide, runIdOf } from '../run-life';
import type { TaskStoreOptions } from './apply-mix-event';
import { expiry, ifNotExists, joinCondition, updateExpression, updateTaskIf } from './conditional-update';
import { dynamoClient } from './dynamodb-client';
import { type MixTask, type RunningTask, taskKey, toAttributes } from './task-item';
import type { TasksTable } from './task-reads';

// What the scheduled check's findings write: a run reconciliation stopped, and the check's marks on
// a running task it looked at. Like every write of a task, each is conditional on the run it saw.

/** What applyReconciliation did; `task` is absent only when the task is not in the table at all. */
export type ReconcileResult =
  | { outcome: 'applied' | 'already_applied'; transition: 'run_stopped'; task: MixTask }
  | { outcome: 'stale'; transition: 'stale'; task: MixTask | undefined };

/**
 * Stops a task that ZEGO no longer knows (the scheduled check asked it), only if it is still the
 * run the check saw: `running` with the same seq. Anything newer (its genuine mix_stop, a new
 * mix_start, an update) got there first and wins: `stale`, nothing written. The stop time is the
 * check's (the mix ended before it), and the task leaves the running index as with a mix_stop.
 * `already_applied`: this very reconciliation stopped the run before; a retry, e.g. after the hook
 * failed.
 */
export async function applyReconciliation(
  reconciliation: Reconciliation,
  { tableName, stoppedRetentionSeconds, now = Date.now, client = dynamoClient }: TaskStoreOptions,
): Promise<ReconcileResult> {
  const { appid, task_id, seq, checkedAt } = reconciliation;
  const nowMs = now();
  const update = updateExpression(
    {
      status: 'stopped',
      stoppedBy: 'reconciliation',
      reconciledAt: checkedAt,
      stoppedAt: Math.floor(Date.parse(checkedAt) / 1000),
      updatedAt: new Date(nowMs).toISOString(),
      expiresAt: expiry(nowMs, stoppedRetentionSeconds),
      // A task written before run ids existed: its run began with this seq (withLegacyRun).
      runId: ifNotExists(runIdOf(appid, task_id, seq)),
      startSeq: ifNotExists(NumberValue.from(seq)),
    },
    ['runningSince', 'runningShard', 'checkAt'],
  );
  const result = await updateTaskIf(
    {
      TableName: tableName,
      Key: taskKey(appid, task_id),
      ...update,
      // Also false when the item does not exist: a reconciliation never creates a task.
      ...joinCondition(update, {
        expression: '#status = :running AND #seq = :seq',
        values: { ':running': 'running', ':seq': NumberValue.from(seq) },
      }),
    },
    client,
  );
  if ('written' in result) return { outcome: 'applied', transition: 'run_stopped', task: result.written };
  const { current } = result;
  return decide(current, { kind: 'reconciliation', seq, checkedAt }).repeat && current
    ? { outcome: 'already_applied', transition: 'run_stopped', task: current }
    : { outcome: 'stale', transition: 'stale', task: current };
}

/**
 * What the scheduled check leaves on a running task it looked at: when to look again and, when it
 * reported the run as orphaned, when. Written only if the task is still in the run the check read
 * (and not reported yet, when reporting); false when it stopped, started again or was updated
 * meanwhile, and nothing changed.
 */
export async function recordCheck(
  task: Pick<RunningTask, 'appid' | 'task_id' | 'runId' | 'seq'>,
  { checkAt, orphanReportedAt }: { checkAt: number; orphanReportedAt?: string },
  { tableName, client = dynamoClient }: TasksTable,
): Promise<boolean> {
  const update = updateExpression({ checkAt, orphanReportedAt });
  const condition = [
    '#runId = :runId AND #seq = :seq AND attribute_exists(runningShard)',
    ...(orphanReportedAt ? ['attribute_not_exists(orphanReportedAt)'] : []),
  ];
  try {
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: toAttributes(taskKey(task.appid, task.task_id)),
        UpdateExpression: update.UpdateExpression,
        ConditionExpression: condition.join(' AND '),
        ExpressionAttributeNames: { ...update.ExpressionAttributeNames, '#runId': 'runId', '#seq': 'seq' },
        ExpressionAttributeValues: toAttributes({
          ...update.ExpressionAttributeValues,
          ':runId': task.runId,
          ':seq': NumberValue.from(task.seq),
        }),
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
