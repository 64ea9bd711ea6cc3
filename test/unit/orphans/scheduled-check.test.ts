import type { Logger } from '@aws-lambda-powertools/logger';
import { ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { MixOrphanedEvent } from '../../../lib/hook-contract';
import type { ReconcileReport } from '../../../lib/orphans/reconcile-tasks';
import { runScheduledCheck } from '../../../lib/orphans/scheduled-check';
import type { MixTask } from '../../../lib/store/task-store';
import { mockedDynamo, wire } from '../../support/dynamodb-mock';
import { capturedLogger } from '../../support/logs';
import { logsOrMetrics, total } from '../../support/metrics';

const { client, ddb } = mockedDynamo();
const HOUR = 3_600;
const NOW_S = 1_800_000_000;
const item = (id: string, runningSince: number) => ({
  appid: '111111',
  task_id: id,
  status: 'running',
  seq: '1',
  runningSince,
  updatedAt: '2027-01-15T08:00:00.000Z',
});

beforeEach(() => {
  ddb.reset();
  // Two mixes running for 5 hours: past orphanAfterSeconds.
  ddb
    .on(ScanCommand)
    .resolves({ Items: [item('gone', NOW_S - 5 * HOUR), item('live', NOW_S - 5 * HOUR)].map(wire) });
  ddb.on(UpdateItemCommand).resolves({});
});

const report = (enqueued: MixTask[], failures: unknown[] = []): ReconcileReport => ({
  candidates: 2,
  enqueued,
  running: [],
  unknown: [],
  skipped: [],
  failures,
});

function check(
  reconcile?: (running: readonly MixTask[]) => Promise<ReconcileReport>,
  { orphanAfterSeconds = 4 * HOUR, logger }: { orphanAfterSeconds?: number; logger?: Logger } = {},
  onMixOrphaned = vi.fn(async (_event: MixOrphanedEvent) => {}),
) {
  const { metrics, emitted, logger: log } = logsOrMetrics('orphans', logger);
  const run = runScheduledCheck({
    tableName: 'tasks',
    orphanAfterSeconds,
    hooks: { onMixOrphaned },
    reconcile,
    logger: log,
    metrics,
    now: () => NOW_S * 1000,
    client,
  });
  return { run, onMixOrphaned, emitted };
}

describe('runScheduledCheck', () => {
  it('reports as orphans only the tasks reconciliation did not just queue for a stop', async () => {
    const { run, onMixOrphaned, emitted } = check(async (running) =>
      report(running.filter((t) => t.task_id === 'gone')),
    );
    const done = await run;
    expect(onMixOrphaned.mock.calls.map(([event]) => (event as { task: MixTask }).task.task_id)).toEqual([
      'live',
    ]);
    expect(done.reconciliation?.enqueued.map((t) => t.task_id)).toEqual(['gone']);
    const out = emitted();
    expect(total(out, 'RunningTasks')).toBe(2);
    expect(total(out, 'OrphanedTasks')).toBe(1);
    expect(total(out, 'OrphanCheckCompleted')).toBe(1);
  });

  it('reports every orphan when reconciliation is off', async () => {
    const { run, onMixOrphaned } = check();
    await run;
    expect(onMixOrphaned).toHaveBeenCalledTimes(2);
  });

  it('still reports orphans when reconciliation fails, then fails the run with no heartbeat', async () => {
    const { run, onMixOrphaned, emitted } = check(async () => {
      throw new Error('the server secret parameter could not be read');
    });
    await expect(run).rejects.toThrow(/1 reconciliation step\(s\) failed/);
    expect(onMixOrphaned).toHaveBeenCalledTimes(2);
    expect(total(emitted(), 'OrphanCheckCompleted')).toBe(0);
  });

  it('fails the run when a reconciliation could not be queued', async () => {
    const { run, emitted } = check(async () => report([], [new Error('SQS down')]));
    await expect(run).rejects.toThrow(/reconciliation step/);
    expect(total(emitted(), 'OrphanCheckCompleted')).toBe(0);
  });

  it('fails the run with every failure inside, saying what failed', async () => {
    const hookFailure = new Error('hook down');
    const sqsFailure = new Error('SQS down');
    const onMixOrphaned = vi.fn(async (event: MixOrphanedEvent) => {
      if (event.task.task_id === 'gone') throw hookFailure;
    });
    const { run } = check(async () => report([], [sqsFailure]), {}, onMixOrphaned);
    await expect(run).rejects.toThrow('1 orphan hook call(s) failed; 1 reconciliation step(s) failed');
    await expect(run).rejects.toMatchObject({ errors: [hookFailure, sqsFailure] });
  });

  it('calls a task orphaned only once it has run longer than orphanAfterSeconds', async () => {
    const { run, onMixOrphaned } = check(undefined, { orphanAfterSeconds: 5 * HOUR });
    await run;
    expect(onMixOrphaned).not.toHaveBeenCalled();
  });

  it('logs a check that finds orphans at info, and one that finds none at debug (it runs often)', async () => {
    const levelOfCheck = async (orphanAfterSeconds: number) => {
      const { logger, records } = capturedLogger();
      await check(undefined, { orphanAfterSeconds, logger }).run;
      return records().find((record) => record.message === 'orphan check');
    };
    expect(await levelOfCheck(4 * HOUR)).toMatchObject({ level: 'INFO', orphaned: 2 });
    expect(await levelOfCheck(5 * HOUR)).toMatchObject({ level: 'DEBUG', orphaned: 0 });
  });

  it('logs a failed reconciliation with its error, a failed hook with the task, and the counts', async () => {
    const { logger, records } = capturedLogger();
    const onMixOrphaned = vi.fn(async (event: MixOrphanedEvent) => {
      if (event.task.task_id === 'gone') throw new Error('hook down');
    });
    const { run } = check(
      async () => {
        throw new Error('no secret');
      },
      { logger },
      onMixOrphaned,
    );
    await expect(run).rejects.toThrow();
    const logged = records().filter((record) => 'message' in record);
    expect(logged.filter((record) => record.level === 'ERROR')).toMatchObject([
      { error: { message: 'no secret' } },
      { appid: '111111', task_id: 'gone', error: { message: 'hook down' } },
    ]);
    expect(logged.find((record) => record.level === 'INFO')).toMatchObject({
      running: 2,
      orphaned: 2,
      newlyReported: 1,
    });
  });
});
