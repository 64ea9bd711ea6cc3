import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MixOrphanedEvent } from '../../lib/hook-contract';
import { runScheduledCheck } from '../../lib/orphans/scheduled-check';
import { parseQueuedCallback, type QueuedMixStart, type QueuedMixStop } from '../../lib/queue/message';
import { applyMixEvent } from '../../lib/store/task-store';
import { signedCallback, signedMixStart } from '../support/callbacks';
import { type LocalStack, startLocalStack } from '../support/local-stack';
import { queuedBody } from '../support/messages';
import { capturedMetrics, total } from '../support/metrics';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack();
});
afterAll(() => stack?.stop());

const HOUR = 3_600;
const T0 = 1_800_000_000; // the clock of this test, in seconds
const store = () => ({
  tableName: stack.tables.tasks,
  stoppedRetentionSeconds: 0,
  client: stack.clients.dynamo,
});
const start = (task: string, seq: string, at: number) =>
  applyMixEvent(
    parseQueuedCallback(queuedBody(signedMixStart({ task_id: task, seq, timestamp: String(at) })))
      .callback as QueuedMixStart,
    'r',
    store(),
  );
const stop = (task: string, seq: string, at: number) =>
  applyMixEvent(
    parseQueuedCallback(queuedBody(signedCallback({ task_id: task, seq, timestamp: String(at) })))
      .callback as QueuedMixStop,
    'r',
    store(),
  );

describe('orphan check on DynamoDB Local', () => {
  it('reports a mix running too long with no stop once per run, and counts running and orphaned tasks', async () => {
    await start('old', '1', T0 - 5 * HOUR);
    await start('recent', '2', T0 - HOUR);
    await start('finished', '3', T0 - 6 * HOUR);
    await stop('finished', '4', T0 - 5 * HOUR);

    const reported: MixOrphanedEvent[] = [];
    const hooks = { onMixOrphaned: vi.fn(async (event: MixOrphanedEvent) => void reported.push(event)) };
    const check = async (atSeconds: number) => {
      const { metrics, emitted } = capturedMetrics('orphans');
      const report = await runScheduledCheck({
        tableName: stack.tables.tasks,
        orphanAfterSeconds: 4 * HOUR,
        hooks,
        logger: new Logger({ logLevel: 'SILENT' }),
        metrics,
        now: () => atSeconds * 1000,
        client: stack.clients.dynamo,
      });
      return { report, out: emitted() };
    };

    const first = await check(T0);
    expect(first.report.orphaned.map((t) => t.task_id)).toEqual(['old']);
    expect(reported).toMatchObject([{ task: { task_id: 'old' }, runningSeconds: 5 * HOUR }]);
    expect(total(first.out, 'RunningTasks')).toBe(2);
    expect(total(first.out, 'OrphanedTasks')).toBe(1);
    expect(total(first.out, 'NewOrphans')).toBe(1);

    // Still orphaned an hour later, and 'recent' has now run too long as well: only it is new.
    const second = await check(T0 + 4 * HOUR);
    expect(second.report.orphaned.map((t) => t.task_id).sort()).toEqual(['old', 'recent']);
    expect(reported.map((e) => e.task.task_id)).toEqual(['old', 'recent']);
    expect(total(second.out, 'OrphanedTasks')).toBe(2);

    // A late stop ends the orphan; a new run of the same task id is watched afresh.
    await stop('old', '5', T0 + 4 * HOUR);
    await start('recent', '6', T0 + 4 * HOUR);
    const third = await check(T0 + 9 * HOUR);
    expect(third.report.orphaned.map((t) => t.task_id)).toEqual(['recent']);
    expect(reported.map((e) => e.task.task_id)).toEqual(['old', 'recent', 'recent']);
    expect(total(third.out, 'RunningTasks')).toBe(1);
  });

  it('calls a failing hook again on the next check, and still reports the others', async () => {
    await start('flaky', '10', T0 - 9 * HOUR);
    await start('steady', '11', T0 - 9 * HOUR);
    let failures = 1;
    const seen: string[] = [];
    const hooks = {
      onMixOrphaned: async ({ task }: MixOrphanedEvent) => {
        seen.push(task.task_id);
        if (task.task_id === 'flaky' && failures-- > 0) throw new Error('pager down');
      },
    };
    const check = () =>
      runScheduledCheck({
        tableName: stack.tables.tasks,
        orphanAfterSeconds: 4 * HOUR,
        hooks,
        logger: new Logger({ logLevel: 'SILENT' }),
        metrics: capturedMetrics('orphans').metrics,
        now: () => T0 * 1000,
        client: stack.clients.dynamo,
      });
    await expect(check()).rejects.toThrow(/1 orphan hook call/);
    expect((await check()).newlyReported).toEqual(['flaky']);
    expect(seen.filter((id) => id === 'flaky')).toHaveLength(2);
    expect(seen.filter((id) => id === 'steady')).toHaveLength(1);
  });
});
