import type { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it, vi } from 'vitest';
import { reconcileTasks } from '../../../lib/orphans/reconcile-tasks';
import type { PreparedMessage } from '../../../lib/queue/enqueue';
import { parseQueuedMessage } from '../../../lib/queue/message';
import type { MixTask } from '../../../lib/store/task-store';
import type { MixTaskInfoResult } from '../../../lib/zego-server-api/get-mix-task-info';
import { capturedLogger } from '../../support/logs';
import { logsOrMetrics, total } from '../../support/metrics';

const NOW_S = 1_800_000_000;
const MINUTE = 60;
const task = (id: string, runningSinceAgo: number, seq = '7'): MixTask => ({
  appid: '111111',
  task_id: `111111:${id}`,
  status: 'running',
  runId: `111111:111111:${id}:${seq}`,
  seq,
  runningSince: NOW_S - runningSinceAgo,
  updatedAt: '2027-01-15T08:00:00.000Z',
});

const NOT_FOUND: MixTaskInfoResult = { state: 'not_found' };
const RUNNING: MixTaskInfoResult = { state: 'running', mixDurationSeconds: 900 };
const TIMEOUT: MixTaskInfoResult = { state: 'unknown', reason: 'timeout', detail: 'no answer within 200 ms' };

/** ZEGO's answers by task-id form; anything unlisted is running. */
function zego(answers: Record<string, MixTaskInfoResult>) {
  const asked: string[] = [];
  const lookup = vi.fn(async (_appid: string, taskId: string) => {
    asked.push(taskId);
    return answers[taskId] ?? RUNNING;
  });
  return { lookup, asked };
}

/** The same answer for both forms of each task's id. */
function everyForm(tasks: MixTask[], answer: (task: MixTask, index: number) => MixTaskInfoResult) {
  return Object.fromEntries(
    tasks.flatMap((t, i) => [
      [t.task_id, answer(t, i)],
      [t.task_id.slice('111111:'.length), answer(t, i)],
    ]),
  );
}

function run(
  tasks: MixTask[],
  lookup: (appid: string, taskId: string) => Promise<MixTaskInfoResult>,
  send = vi.fn(async (_m: PreparedMessage) => {}),
  logger?: Logger,
) {
  const { metrics, emitted, logger: log } = logsOrMetrics('orphans', logger);
  const report = reconcileTasks(tasks, {
    afterSeconds: 10 * MINUTE,
    lookup,
    send,
    logger: log,
    metrics,
    now: () => NOW_S * 1000,
    pacing: { sleep: async () => {} },
  });
  return { report, emitted, send };
}

describe('reconcileTasks', () => {
  it('looks up only tasks running past the grace period, and queues a stop for those ZEGO knows under no form', async () => {
    const tasks = [task('gone', 30 * MINUTE, '12'), task('live', 30 * MINUTE), task('young', 5 * MINUTE)];
    const { lookup, asked } = zego({ '111111:gone': NOT_FOUND, gone: NOT_FOUND });
    const { report, emitted, send } = run(tasks, lookup);
    const done = await report;

    expect(asked.sort()).toEqual(['111111:gone', '111111:live', 'gone'].sort());
    expect(done.enqueued.map((t) => t.task_id)).toEqual(['111111:gone']);
    expect(done.running.map((t) => t.task_id)).toEqual(['111111:live']);
    expect(done.candidates).toBe(2);
    expect(send).toHaveBeenCalledTimes(1);
    const [message] = send.mock.calls[0] as [PreparedMessage];
    expect(message.groupId).toBe('111111:111111:gone');
    expect(message.deduplicationId).toBe('111111:111111:gone:#reconcile:12');
    expect(parseQueuedMessage(message.body)).toEqual({
      version: 1,
      receivedAt: new Date(NOW_S * 1000).toISOString(),
      reconciliation: {
        appid: '111111',
        task_id: '111111:gone',
        seq: '12',
        checkedAt: new Date(NOW_S * 1000).toISOString(),
      },
    });
    const out = emitted();
    expect(total(out, 'ReconcileLookups')).toBe(2);
    expect(total(out, 'ReconcileLookupsFailed')).toBe(0);
    expect(total(out, 'ReconcileEnqueued')).toBe(1);
  });

  it('never queues a stop for a task ZEGO knows under its bare id only', async () => {
    const { lookup } = zego({ '111111:bare': NOT_FOUND, bare: RUNNING });
    const done = await run([task('bare', 30 * MINUTE)], lookup).report;
    expect(done.enqueued).toEqual([]);
    expect(done.running.map((t) => t.task_id)).toEqual(['111111:bare']);
  });

  it('changes nothing for a task ZEGO gave no answer about, and counts it failed', async () => {
    const { lookup } = zego({ '111111:slow': TIMEOUT, slow: NOT_FOUND });
    const { report, emitted, send } = run([task('slow', 30 * MINUTE)], lookup);
    const done = await report;
    expect(done.unknown.map((t) => t.task_id)).toEqual(['111111:slow']);
    expect(send).not.toHaveBeenCalled();
    const out = emitted();
    expect(total(out, 'ReconcileLookups')).toBe(1);
    expect(total(out, 'ReconcileLookupsFailed')).toBe(1);
  });

  /** A task of 1,207 characters of BEL: too long to ask about. */
  const unaskable = () => ({ ...task('x', 30 * MINUTE), task_id: `111111:${'\u0007'.repeat(1_200)}` });

  it('asks nothing about a task whose id cannot be asked about, counts it apart, and never stops it', async () => {
    const { lookup } = zego({});
    const { report, emitted, send } = run([unaskable(), task('live', 30 * MINUTE)], lookup);
    const done = await report;
    expect(lookup.mock.calls.map(([, taskId]) => taskId)).toEqual(['111111:live']);
    expect(send).not.toHaveBeenCalled();
    expect(done.candidates).toBe(2);
    expect(done.running.map((t) => t.task_id)).toEqual(['111111:live']);
    expect([...done.enqueued, ...done.unknown, ...done.skipped]).toEqual([]);
    const out = emitted();
    expect(total(out, 'ReconcileUnaskable')).toBe(1);
    expect(total(out, 'ReconcileLookups')).toBe(1);
    expect(total(out, 'ReconcileLookupsFailed')).toBe(0);
  });

  it('says which ids cannot be asked about, escaped and cut short, in an info line, and counts them in the summary', async () => {
    const { logger, records } = capturedLogger();
    await run([unaskable(), task('live', 30 * MINUTE)], zego({}).lookup, undefined, logger).report;
    const logged = records().filter((record) => 'message' in record);
    expect(logged.map((record) => record.level)).toEqual(['INFO', 'INFO']);
    expect(logged[0]).toMatchObject({
      unaskable: 1,
      examples: [
        {
          appid: '111111',
          task_id: `111111:${'\\u0007'.repeat(15)}\\u0…`,
          detail: 'the task id is 1207 bytes long; ids over 1024 bytes are not asked about',
        },
      ],
    });
    expect(logged[1]).toMatchObject({ candidates: 2, running: 1, unknown: 0, unaskable: 1 });
  });

  it('logs at most five unaskable ids', async () => {
    const { logger, records } = capturedLogger();
    const tasks = Array.from({ length: 7 }, (_, i) => ({ ...task(String(i), 30 * MINUTE), task_id: '' }));
    await run(tasks, zego({}).lookup, undefined, logger).report;
    const [line] = records().filter((record) => record.unaskable === 7 && 'examples' in record);
    expect(line?.examples).toHaveLength(5);
  });

  it('looks up a task that has run exactly the grace period', async () => {
    const { lookup, asked } = zego({});
    const done = await run([task('edge', 10 * MINUTE), task('short', 10 * MINUTE - 1)], lookup).report;
    expect(asked).toEqual(['111111:edge']);
    expect(done.candidates).toBe(1);
  });

  it('logs why lookups failed: how many, by reason, and five examples', async () => {
    const { logger, records } = capturedLogger();
    const tasks = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id, i) => task(id, (30 + i) * MINUTE));
    const HTTP_500: MixTaskInfoResult = { state: 'unknown', reason: 'http_status', detail: 'HTTP 500' };
    const { lookup } = zego(everyForm(tasks, (_t, i) => (i === 0 ? HTTP_500 : TIMEOUT)));
    await run(tasks, lookup, undefined, logger).report;
    const warning = records().find((record) => record.level === 'WARN');
    expect(warning).toMatchObject({ failed: 7, reasons: { http_status: 1, timeout: 6 } });
    // Oldest first: g started first.
    expect(warning?.examples).toEqual([
      { appid: '111111', task_id: '111111:g', reason: 'timeout', detail: 'no answer within 200 ms' },
      ...['f', 'e', 'd', 'c'].map((id) => ({
        appid: '111111',
        task_id: `111111:${id}`,
        reason: 'timeout',
        detail: 'no answer within 200 ms',
      })),
    ]);
  });

  it('logs no failure when every lookup answered, and a summary of the check', async () => {
    const { logger, records } = capturedLogger();
    const { lookup } = zego({ '111111:gone': NOT_FOUND, gone: NOT_FOUND });
    await run(
      [task('gone', 30 * MINUTE), task('live', 30 * MINUTE), task('young', MINUTE)],
      lookup,
      undefined,
      logger,
    ).report;
    const logged = records().filter((record) => 'message' in record);
    expect(logged.map((record) => record.level)).toEqual(['INFO']);
    expect(logged[0]).toMatchObject({
      candidates: 2,
      ended: 1,
      enqueued: 1,
      running: 1,
      unknown: 0,
      skipped: 0,
      throttled: false,
    });
  });

  it('logs the summary at debug when no task is old enough to look up (the check runs often)', async () => {
    const { logger, records } = capturedLogger();
    const { lookup } = zego({});
    await run([task('young', MINUTE)], lookup, undefined, logger).report;
    const logged = records().filter((record) => 'message' in record);
    expect(logged).toMatchObject([{ level: 'DEBUG', message: 'reconciliation', candidates: 0 }]);
  });

  it('publishes zero lookups when no task is old enough, so the alarm sees a check', async () => {
    const { lookup } = zego({});
    const { report, emitted } = run([task('young', MINUTE)], lookup);
    await report;
    expect(lookup).not.toHaveBeenCalled();
    const lookups = emitted().filter(
      (m) => m.name === 'ReconcileLookups' || m.name === 'ReconcileLookupsFailed',
    );
    expect(lookups.map((m) => [m.name, m.values])).toEqual([
      ['ReconcileLookups', [0]],
      ['ReconcileLookupsFailed', [0]],
    ]);
    expect(emitted().find((m) => m.name === 'ReconcileUnaskable')?.values).toEqual([0]);
  });

  it('stops queueing at the first message SQS refuses and reports it; the rest wait for the next check', async () => {
    const tasks = ['a', 'b', 'c'].map((id, i) => task(id, (30 + i) * MINUTE));
    const { lookup } = zego(
      Object.fromEntries(
        tasks.flatMap((t) => [
          [t.task_id, NOT_FOUND],
          [t.task_id.slice(7), NOT_FOUND],
        ]),
      ),
    );
    let sends = 0;
    const send = vi.fn(async () => {
      sends += 1;
      if (sends === 2) throw new Error('SQS down');
    });
    const done = await run(tasks, lookup, send).report;
    expect(send).toHaveBeenCalledTimes(2);
    expect(done.enqueued).toHaveLength(1);
    expect(done.failures).toEqual([new Error('SQS down')]);
  });

  it('logs the task SQS refused and how many were left unqueued', async () => {
    const { logger, records } = capturedLogger();
    const tasks = ['a', 'b', 'c'].map((id, i) => task(id, (30 + i) * MINUTE));
    const { lookup } = zego(everyForm(tasks, () => NOT_FOUND));
    let sends = 0;
    const send = vi.fn(async () => {
      sends += 1;
      if (sends === 2) throw new Error('SQS down');
    });
    await run(tasks, lookup, send, logger).report;
    const error = records().find((record) => record.level === 'ERROR');
    // Oldest first: c was queued, b was refused, so b and a were not queued.
    expect(error).toMatchObject({
      appid: '111111',
      task_id: '111111:b',
      notQueued: 2,
      error: { name: 'Error', message: 'SQS down' },
    });
  });
});
