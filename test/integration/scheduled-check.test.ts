import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NOT_AGAIN, runScheduledCheck, type ScheduledCheckOptions } from '../../lib/check/scheduled-check';
import type { MixOrphanedEvent } from '../../lib/hook-contract';
import { parseQueuedCallback, type QueuedMixStart, type QueuedMixStop } from '../../lib/queue/message';
import type { ZegoAnswer } from '../../lib/reconcile/ask-zego';
import type { Reconciler } from '../../lib/reconcile/reconciler';
import { applyMixEvent } from '../../lib/store/apply-mix-event';
import type { RunningTask } from '../../lib/store/task-item';
import { getTask } from '../../lib/store/task-reads';
import { signedCallback, signedMixStart } from '../support/callbacks';
import { type LocalStack, startLocalStack } from '../support/local-stack';
import { queuedBody } from '../support/messages';
import { capturedMetrics, total } from '../support/metrics';

// The scheduled check on DynamoDB Local: the running index, its shards, its pages and each task's
// next check time, with a reconciler that answers as the test says (no ZEGO here: see reconcile.test.ts).
// Each test has tables of its own: the check reads every running task of its table.
let stack: LocalStack;
beforeEach(async () => {
  stack = await startLocalStack();
});
afterEach(() => stack?.stop());

const HOUR = 3_600;
const MINUTE = 60;
const T0 = 1_800_000_000; // the clock of this test, in seconds
let app = 200_000;
/** Each test's tasks are of an app of its own. */
const newApp = () => String(++app);

function store(firstCheckAfterSeconds = 0) {
  return {
    tableName: stack.tables.tasks,
    stoppedRetentionSeconds: 0,
    firstCheckAfterSeconds,
    client: stack.clients.dynamo,
  };
}
const start = (appid: string, task: string, seq: string, at: number, firstCheckAfter = 0) =>
  applyMixEvent(
    parseQueuedCallback(queuedBody(signedMixStart({ appid, task_id: task, seq, timestamp: String(at) })))
      .callback as QueuedMixStart,
    'r',
    store(firstCheckAfter),
  );
const stop = (appid: string, task: string, seq: string, at: number) =>
  applyMixEvent(
    parseQueuedCallback(queuedBody(signedCallback({ appid, task_id: task, seq, timestamp: String(at) })))
      .callback as QueuedMixStop,
    'r',
    store(),
  );
const task = (appid: string, taskId: string) => getTask(appid, taskId, store());

/** A reconciler that answers `answer(task)` and records what it was asked and what it queued. */
function reconciler(answer: (task: RunningTask) => ZegoAnswer, { afterSeconds = 10 * MINUTE } = {}) {
  const asked: string[] = [];
  const queued: string[] = [];
  const rec: Reconciler = {
    afterSeconds,
    everySeconds: 30 * MINUTE,
    ask: async (task) => {
      asked.push(task.task_id);
      return answer(task);
    },
    enqueue: async (task) => void queued.push(task.task_id),
  };
  return { reconcile: async () => rec, asked, queued };
}

function check(atSeconds: number, options: Partial<ScheduledCheckOptions> = {}) {
  const { metrics, emitted } = capturedMetrics('orphans');
  const run = runScheduledCheck({
    table: { tableName: stack.tables.tasks, client: stack.clients.dynamo },
    orphanAfterSeconds: 4 * HOUR,
    hooks: { onMixOrphaned: async () => {} },
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics,
    now: () => atSeconds * 1000,
    ...options,
  });
  return { run, emitted };
}

describe('the scheduled check on DynamoDB Local', () => {
  it('reports a mix running too long with no stop once per run, and counts running and orphaned tasks', async () => {
    const appid = newApp();
    await start(appid, 'old', '1', T0 - 5 * HOUR);
    await start(appid, 'recent', '2', T0 - HOUR);
    await start(appid, 'finished', '3', T0 - 6 * HOUR);
    await stop(appid, 'finished', '4', T0 - 5 * HOUR);
    const reported: MixOrphanedEvent[] = [];
    const hooks = { onMixOrphaned: vi.fn(async (event: MixOrphanedEvent) => void reported.push(event)) };

    const first = check(T0, { hooks });
    expect(await first.run).toMatchObject({ running: 2, orphaned: 1, newOrphans: 1 });
    expect(reported).toMatchObject([
      { runId: `${appid}:old:1`, task: { task_id: 'old', status: 'running' }, runningSeconds: 5 * HOUR },
    ]);
    const out = first.emitted();
    expect(total(out, 'RunningTasks')).toBe(2);
    expect(total(out, 'OrphanedTasks')).toBe(1);
    expect(total(out, 'NewOrphans')).toBe(1);
    // Looked at: 'old' is reported and not looked at again; 'recent' comes back when it is orphaned.
    expect(await task(appid, 'old')).toMatchObject({
      checkAt: NOT_AGAIN,
      orphanReportedAt: expect.any(String),
    });
    expect(await task(appid, 'recent')).toMatchObject({ checkAt: T0 - HOUR + 4 * HOUR + 1 });

    // Four hours later 'recent' has run too long as well: only it is new.
    const second = check(T0 + 4 * HOUR, { hooks });
    expect(await second.run).toMatchObject({ running: 2, orphaned: 2, newOrphans: 1, visited: 1 });
    expect(reported.map((e) => e.task.task_id)).toEqual(['old', 'recent']);

    // A late stop ends the orphan; a new run of the same task id is watched afresh, while a start
    // that only updates a running run is not a new run.
    await stop(appid, 'old', '5', T0 + 4 * HOUR);
    await start(appid, 'recent', '6', T0 + 4 * HOUR);
    expect(await check(T0 + 9 * HOUR, { hooks }).run).toMatchObject({ running: 1, newOrphans: 0 });
    await stop(appid, 'recent', '7', T0 + 4 * HOUR);
    await start(appid, 'recent', '8', T0 + 4 * HOUR);
    const third = check(T0 + 9 * HOUR, { hooks });
    expect(await third.run).toMatchObject({ running: 1, orphaned: 1, newOrphans: 1 });
    expect(reported.map((e) => e.runId)).toEqual([
      `${appid}:old:1`,
      `${appid}:recent:2`,
      `${appid}:recent:8`,
    ]);
  });

  it('calls a failing orphan hook again on the next check, and still reports the others', async () => {
    const appid = newApp();
    await start(appid, 'flaky', '10', T0 - 9 * HOUR);
    await start(appid, 'steady', '11', T0 - 9 * HOUR);
    let failures = 1;
    const seen: string[] = [];
    const hooks = {
      onMixOrphaned: async ({ task }: MixOrphanedEvent) => {
        seen.push(task.task_id);
        if (task.task_id === 'flaky' && failures-- > 0) throw new Error('pager down');
      },
    };
    await expect(check(T0, { hooks }).run).rejects.toThrow(/1 step\(s\) of the scheduled check failed/);
    expect(await check(T0, { hooks }).run).toMatchObject({ newOrphans: 1, visited: 1 });
    expect(seen.sort()).toEqual(['flaky', 'flaky', 'steady']);
  });

  it('reads more tasks than a page, over every shard, the most overdue first, each once', async () => {
    const appid = newApp();
    const ids = Array.from({ length: 40 }, (_, i) => `paged-${i}`);
    // Each task is due at its own minute: the most overdue must come first, across shards.
    for (const [i, id] of ids.entries())
      await start(appid, id, String(i + 1), T0 - 200 * MINUTE + i * MINUTE);
    const visits = reconciler(() => ({ state: 'running' }));
    const { run } = check(T0, { reconcile: visits.reconcile, pageSize: 2, concurrency: 1 });
    expect(await run).toMatchObject({ visited: 40, deferred: 0, running: 40 });
    expect(visits.asked).toEqual(ids);
    // ZEGO runs them all: each is asked again after RECONCILE_EVERY (30 minutes), not before.
    expect((await task(appid, 'paged-7'))?.checkAt).toBe(T0 + 30 * MINUTE);
    const again = reconciler(() => ({ state: 'running' }));
    expect(await check(T0 + 29 * MINUTE, { reconcile: again.reconcile }).run).toMatchObject({ visited: 0 });
    expect(await check(T0 + 30 * MINUTE, { reconcile: again.reconcile }).run).toMatchObject({ visited: 40 });
  });

  it('leaves what it could not reach before its deadline to the next run, counted, the oldest first', async () => {
    const appid = newApp();
    for (let i = 0; i < 12; i++)
      await start(appid, `late-${i}`, String(i + 1), T0 - 100 * MINUTE + i * MINUTE);
    const controller = new AbortController();
    const first = reconciler((t) => {
      if (t.task_id === 'late-4') controller.abort(); // the function's time runs out during this one
      return { state: 'running' };
    });
    const one = check(T0, { reconcile: first.reconcile, signal: controller.signal, concurrency: 1 });
    expect(await one.run).toMatchObject({ visited: 5, deferred: 7 });
    expect(total(one.emitted(), 'CheckDeferred')).toBe(7);
    expect(first.asked).toEqual(['late-0', 'late-1', 'late-2', 'late-3', 'late-4']);

    const next = reconciler(() => ({ state: 'running' }));
    expect(await check(T0 + MINUTE, { reconcile: next.reconcile }).run).toMatchObject({
      visited: 7,
      deferred: 0,
    });
    expect(next.asked.sort()).toEqual([
      'late-10',
      'late-11',
      'late-5',
      'late-6',
      'late-7',
      'late-8',
      'late-9',
    ]);
  });

  it('queues the stop of a task ZEGO no longer knows, and neither reports it nor moves its check', async () => {
    const appid = newApp();
    await start(appid, 'dead', '1', T0 - 5 * HOUR);
    await start(appid, 'young', '2', T0 - 5 * MINUTE, 10 * MINUTE);
    const hooks = { onMixOrphaned: vi.fn(async () => {}) };
    const visits = reconciler(() => ({ state: 'ended' }));
    const { run, emitted } = check(T0, { hooks, reconcile: visits.reconcile });
    expect(await run).toMatchObject({ reconciliation: { lookups: 1, enqueued: 1, failed: 0 } });
    expect(visits.queued).toEqual(['dead']);
    expect(hooks.onMixOrphaned).not.toHaveBeenCalled();
    expect(total(emitted(), 'ReconcileEnqueued')).toBe(1);
    // Its first look is 10 minutes after its start: not due yet, not asked.
    expect(visits.asked).toEqual(['dead']);
    expect((await task(appid, 'young'))?.checkAt).toBe(T0 - 5 * MINUTE + 10 * MINUTE);
  });

  it('asks again next run about a task ZEGO could not answer for, and stops asking when ZEGO throttles', async () => {
    const appid = newApp();
    for (let i = 0; i < 4; i++) await start(appid, `busy-${i}`, String(i + 1), T0 - HOUR + i);
    const throttled = reconciler((t) =>
      t.task_id === 'busy-1'
        ? { state: 'throttled', reason: 'throttled', detail: 'overloaded' }
        : { state: 'unknown', reason: 'timeout', detail: 'no answer' },
    );
    const { run, emitted } = check(T0, { reconcile: throttled.reconcile, concurrency: 1 });
    expect(await run).toMatchObject({ visited: 2, deferred: 2, reconciliation: { failed: 2 } });
    expect(total(emitted(), 'ReconcileLookupsFailed')).toBe(2);
    expect((await task(appid, 'busy-0'))?.checkAt).toBe(T0 + 1);
  });

  it('never asks about a task id no URL can carry, and reports it when it has run too long', async () => {
    const appid = newApp();
    await start(appid, 'long', '1', T0 - HOUR);
    const visits = reconciler(() => ({ state: 'unaskable', detail: 'too long' }));
    const { run, emitted } = check(T0, { reconcile: visits.reconcile });
    expect(await run).toMatchObject({ reconciliation: { unaskable: 1, lookups: 0, failed: 0 } });
    expect(total(emitted(), 'ReconcileUnaskable')).toBe(1);
    expect((await task(appid, 'long'))?.checkAt).toBe(T0 - HOUR + 4 * HOUR + 1);
  });

  it('fails the run, with no heartbeat, when reconciliation cannot start; orphans are still reported', async () => {
    const appid = newApp();
    await start(appid, 'orphan', '1', T0 - 5 * HOUR);
    const hooks = { onMixOrphaned: vi.fn(async () => {}) };
    const reconcile = async (): Promise<Reconciler> => {
      throw new Error('no server secret');
    };
    const { run, emitted } = check(T0, { hooks, reconcile });
    await expect(run).rejects.toThrow(AggregateError);
    expect(hooks.onMixOrphaned).toHaveBeenCalledTimes(1);
    expect(total(emitted(), 'OrphanCheckCompleted')).toBe(0);
  });
});
