import { Logger } from '@aws-lambda-powertools/logger';
import { ConditionalCheckFailedException, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createMetrics } from '../../../lib/metrics';
import type { ConsumerHooks } from '../../../lib/process/contract';
import { processCallback } from '../../../lib/process/process-callback';
import { parseQueuedCallback } from '../../../lib/queue/message';
import { signedCallback, signedMixStart } from '../../support/callbacks';
import { mockedDynamo, wire } from '../../support/dynamodb-mock';
import { capturedLogger } from '../../support/logs';
import { queuedBody } from '../../support/messages';
import { capturedMetrics, total } from '../../support/metrics';

const { client, ddb } = mockedDynamo();

const storedTask = (seq: string, status: 'running' | 'stopped', extra: Record<string, unknown> = {}) => ({
  appid: '111111',
  task_id: '111111:1111',
  status,
  seq,
  runId: RUN,
  updatedAt: '2023-07-20T06:40:23.000Z',
  ...(status === 'stopped' ? { stoppedBy: 'callback' } : {}),
  ...extra,
});
const RUN = '111111:111111:1111:100';

const refused = (item?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({ message: 'no', $metadata: {}, Item: item && wire(item) });

/** The store's first write is refused because the task is `current`; a second write, if any, gives `written`. */
function taskIs(current: Record<string, unknown>, written?: Record<string, unknown>) {
  const update = ddb.on(UpdateItemCommand).rejectsOnce(refused(current));
  if (written) update.resolves({ Attributes: wire(written) });
}

function deps() {
  const hooks = {
    onMixStarted: vi.fn(async () => {}),
    onMixUpdated: vi.fn(async () => {}),
    onMixStopped: vi.fn(async () => {}),
  } satisfies ConsumerHooks;
  return {
    hooks,
    deps: {
      store: { tableName: 'tasks', stoppedRetentionSeconds: 0, client },
      hooks: hooks as ConsumerHooks,
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics: createMetrics('consumer', 'test'),
      remainingTimeMs: () => 10_000,
    },
  };
}

const input = (fields: Record<string, unknown>) => ({
  idempotencyKey: 'key',
  message: parseQueuedCallback(queuedBody(fields)),
});

beforeEach(() => ddb.reset());

describe('processCallback', () => {
  it('records a run’s stop, then calls onMixStopped with the run, the task and a context', async () => {
    ddb
      .on(UpdateItemCommand)
      .resolves({ Attributes: wire(storedTask('1234', 'stopped', { stopSeq: '1234' })) });
    const { hooks, deps: d } = deps();
    const result = await processCallback(input(signedCallback()), d);
    expect(result).toEqual({
      event: 'mix_stop',
      outcome: 'applied',
      transition: 'run_stopped',
      runId: RUN,
      taskStatus: 'stopped',
    });
    expect(hooks.onMixStopped).toHaveBeenCalledTimes(1);
    const [event, context] = hooks.onMixStopped.mock.calls[0] as unknown as [
      { inferred: boolean; runId: string; task: { status: string }; callback: { seq: string } },
      { idempotencyKey: string; receivedAt: string },
    ];
    expect(event).toMatchObject({ inferred: false, runId: RUN, task: { status: 'stopped' } });
    expect(event.callback.seq).toBe('1234');
    expect(context).toMatchObject({ idempotencyKey: 'key', receivedAt: '2023-07-20T06:40:23.000Z' });
    expect(hooks.onMixStarted).not.toHaveBeenCalled();
  });

  it('calls onMixStarted, and only it, for the start of a run', async () => {
    ddb
      .on(UpdateItemCommand)
      .resolves({ Attributes: wire(storedTask('100', 'running', { startSeq: '100' })) });
    const { hooks, deps: d } = deps();
    await processCallback(input(signedMixStart({ seq: '100' })), d);
    expect(hooks.onMixStarted).toHaveBeenCalledWith(
      expect.objectContaining({ runId: RUN }),
      expect.anything(),
    );
    expect(hooks.onMixUpdated).not.toHaveBeenCalled();
    expect(hooks.onMixStopped).not.toHaveBeenCalled();
  });

  it('calls onMixUpdated, not onMixStarted, for a further start of a running run', async () => {
    const running = storedTask('100', 'running', { startSeq: '100' });
    taskIs(running, { ...running, seq: '101' });
    const { hooks, deps: d } = deps();
    const result = await processCallback(input(signedMixStart({ seq: '101' })), d);
    expect(result).toMatchObject({ outcome: 'applied', transition: 'run_updated', runId: RUN });
    expect(hooks.onMixUpdated).toHaveBeenCalledWith(
      expect.objectContaining({ runId: RUN, task: expect.objectContaining({ seq: '101' }) }),
      expect.anything(),
    );
    expect(hooks.onMixStarted).not.toHaveBeenCalled();
  });

  it('completes an update when no onMixUpdated is given', async () => {
    const running = storedTask('100', 'running', { startSeq: '100' });
    taskIs(running, { ...running, seq: '101' });
    const { hooks, deps: d } = deps();
    const { onMixUpdated: _none, ...withoutUpdates } = hooks;
    const result = await processCallback(input(signedMixStart({ seq: '101' })), {
      ...d,
      hooks: withoutUpdates,
    });
    expect(result.transition).toBe('run_updated');
    expect(hooks.onMixStarted).not.toHaveBeenCalled();
  });

  it.each([
    ['its own mix_stop', storedTask('11', 'stopped', { stopSeq: '11', stoppedBy: 'callback' })],
    ['reconciliation', storedTask('100', 'stopped', { stoppedBy: 'reconciliation', reconciledAt: 'then' })],
  ])('records a further mix_stop of a run stopped by %s, and calls no hook', async (_case, stopped) => {
    taskIs(stopped, { ...stopped, seq: '1300' });
    const { metrics, emitted } = capturedMetrics('consumer');
    const { hooks, deps: d } = deps();
    const result = await processCallback(input(signedCallback({ seq: '1300' })), { ...d, metrics });
    expect(result).toMatchObject({ outcome: 'applied', transition: 'stop_recorded', taskStatus: 'stopped' });
    expect(Object.values(hooks).every((hook) => hook.mock.calls.length === 0)).toBe(true);
    const out = emitted();
    expect(total(out, 'StopRecorded')).toBe(1);
    expect(total(out, 'MixStopped')).toBe(0);
    expect(total(out, 'CallbackProcessed')).toBe(1);
  });

  it('calls no hook for a stale callback (a start older than the stop already applied)', async () => {
    taskIs(storedTask('6', 'stopped', { stopSeq: '6' }));
    const { hooks, deps: d } = deps();
    const result = await processCallback(input(signedMixStart({ seq: '5' })), d);
    expect(result).toMatchObject({ event: 'mix_start', outcome: 'stale', transition: 'stale' });
    expect(hooks.onMixStarted).not.toHaveBeenCalled();
  });

  it.each([
    [
      'stop',
      () => signedCallback(),
      'run_stopped',
      'onMixStopped',
      storedTask('1234', 'stopped', { stopSeq: '1234' }),
    ],
    [
      'start',
      () => signedMixStart({ seq: '100' }),
      'run_started',
      'onMixStarted',
      storedTask('101', 'running', { startSeq: '100' }),
    ],
    [
      'update',
      () => signedMixStart({ seq: '101' }),
      'run_updated',
      'onMixUpdated',
      storedTask('101', 'running', { startSeq: '100' }),
    ],
  ] as const)(
    'calls the hook again for a %s that made its transition before, its hook having failed',
    async (_case, fields, transition, hook, current) => {
      taskIs(current);
      const { hooks, deps: d } = deps();
      const result = await processCallback(input(fields()), d);
      expect(result).toMatchObject({ outcome: 'already_applied', transition });
      expect(hooks[hook]).toHaveBeenCalledTimes(1);
      expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(1); // nothing written again
    },
  );

  it('calls no hook again for a callback completed under the key used before the upgrade', async () => {
    taskIs(storedTask('1234', 'stopped', { stopSeq: '1234' }));
    const { hooks, deps: d } = deps();
    const asked: unknown[] = [];
    const completedBeforeUpgrade = async (callback: unknown) => {
      asked.push(callback);
      return true;
    };
    const result = await processCallback(input(signedCallback()), { ...d, completedBeforeUpgrade });
    expect(result.outcome).toBe('already_applied');
    expect(hooks.onMixStopped).not.toHaveBeenCalled();
    expect(asked).toHaveLength(1);
  });

  it('asks about the old key only when the store says this very callback was applied', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: wire(storedTask('1234', 'stopped')) });
    const { hooks, deps: d } = deps();
    const completedBeforeUpgrade = vi.fn(async () => true);
    await processCallback(input(signedCallback()), { ...d, completedBeforeUpgrade });
    expect(completedBeforeUpgrade).not.toHaveBeenCalled();
    expect(hooks.onMixStopped).toHaveBeenCalledTimes(1);
  });

  it('acknowledges another event type without touching the store or the hooks', async () => {
    const fields = signedCallback({ event: 'mix_other' });
    delete fields.task_id;
    const { hooks, deps: d } = deps();
    expect(await processCallback(input(fields), d)).toEqual({ event: 'mix_other', outcome: 'ignored' });
    expect(ddb.calls()).toHaveLength(0);
    expect(hooks.onMixStopped).not.toHaveBeenCalled();
  });

  it('lets a hook failure through, so the record is retried', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: wire(storedTask('1234', 'stopped')) });
    const { hooks, deps: d } = deps();
    hooks.onMixStopped.mockRejectedValueOnce(new Error('downstream down'));
    await expect(processCallback(input(signedCallback()), d)).rejects.toThrow('downstream down');
  });

  it('counts processed, started, updated, stopped, stale and ignored callbacks, and the mix duration', async () => {
    const { metrics, emitted } = capturedMetrics('consumer');
    const { deps: d } = deps();
    const withMetrics = { ...d, metrics };
    const stopped = { ...storedTask('1234', 'stopped'), startedAt: 1000, stoppedAt: 1090 };
    ddb.on(UpdateItemCommand).resolves({ Attributes: wire(stopped) });
    await processCallback(input(signedCallback()), withMetrics);
    ddb.on(UpdateItemCommand).resolves({ Attributes: wire(storedTask('123', 'running')) });
    await processCallback(input(signedMixStart()), withMetrics);
    ddb.reset();
    const running = storedTask('100', 'running', { startSeq: '100' });
    taskIs(running, { ...running, seq: '101' });
    await processCallback(input(signedMixStart({ seq: '101' })), withMetrics);
    ddb.reset();
    taskIs(storedTask('9999', 'stopped'));
    await processCallback(input(signedMixStart({ seq: '5' })), withMetrics);
    const other = signedCallback({ event: 'mix_other' });
    delete other.task_id;
    await processCallback(input(other), withMetrics);

    const out = emitted();
    expect(total(out, 'CallbackProcessed')).toBe(3);
    expect(total(out, 'MixStopped')).toBe(1);
    expect(total(out, 'MixStarted')).toBe(1);
    expect(total(out, 'MixUpdated')).toBe(1);
    expect(total(out, 'MixDuration')).toBe(90);
    expect(total(out, 'StaleCallback')).toBe(1);
    expect(total(out, 'IgnoredEvent')).toBe(1);
  });

  it('records a smoke test’s callback and calls no hook', async () => {
    ddb.on(UpdateItemCommand).resolves({
      Attributes: wire({ ...storedTask('1234', 'stopped'), task_id: 'zego-smoke-1' }),
    });
    const { metrics, emitted } = capturedMetrics('consumer');
    const { hooks, deps: d } = deps();
    const result = await processCallback(input(signedCallback({ task_id: 'zego-smoke-1' })), {
      ...d,
      metrics,
    });
    expect(result).toMatchObject({ event: 'mix_stop', outcome: 'applied', taskStatus: 'stopped' });
    expect(hooks.onMixStopped).not.toHaveBeenCalled();
    const out = emitted();
    expect(total(out, 'CallbackProcessed')).toBe(1);
    expect(total(out, 'MixStopped')).toBe(0);
  });

  it.each([
    [
      'a processed callback',
      () => ddb.on(UpdateItemCommand).resolves({ Attributes: wire(storedTask('1234', 'stopped')) }),
      'INFO',
      { outcome: 'applied', transition: 'run_stopped', runId: RUN, taskStatus: 'stopped', taskSeq: '1234' },
    ],
    [
      'a stale stop of this run',
      () => taskIs(storedTask('9999', 'running')),
      'WARN',
      { outcome: 'stale', transition: 'stale', runId: RUN, taskStatus: 'running', taskSeq: '9999' },
    ],
    [
      'a stale stop of an earlier run',
      () => taskIs(storedTask('9999', 'running', { runId: '111111:111111:1111:5000' })),
      'WARN',
      { outcome: 'stale', runId: '111111:111111:1111:5000', earlierThan: '111111:111111:1111:5000' },
    ],
    [
      'a further stop',
      () => {
        const stopped = storedTask('1000', 'stopped', { stopSeq: '1000', stoppedBy: 'callback' });
        taskIs(stopped, { ...stopped, seq: '1234' });
      },
      'INFO',
      { outcome: 'applied', transition: 'stop_recorded', taskStatus: 'stopped', stoppedBy: 'callback' },
    ],
  ])(
    'logs %s once, with its ids, outcome, run and the task’s status and seq',
    async (_case, arrange, level, fields) => {
      arrange();
      const { logger, records } = capturedLogger();
      const { deps: d } = deps();
      await processCallback(input(signedCallback()), { ...d, logger });
      const logged = records().filter((record) => 'message' in record);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({
        level,
        appid: '111111',
        event: 'mix_stop',
        seq: '1234',
        task_id: '111111:1111',
        ...fields,
      });
    },
  );

  it('logs a callback completed before the upgrade as already applied', async () => {
    taskIs(storedTask('1234', 'stopped', { stopSeq: '1234' }));
    const { logger, records } = capturedLogger();
    const { deps: d } = deps();
    await processCallback(input(signedCallback()), {
      ...d,
      logger,
      completedBeforeUpgrade: async () => true,
    });
    expect(records()).toMatchObject([
      { appid: '111111', seq: '1234', task_id: '111111:1111', outcome: 'already_applied', taskSeq: '1234' },
    ]);
  });

  it('logs an ignored event with its ids and outcome ignored', async () => {
    const fields = signedCallback({ event: 'mix_other' });
    delete fields.task_id;
    const { logger, records } = capturedLogger();
    const { deps: d } = deps();
    await processCallback(input(fields), { ...d, logger });
    expect(records()).toMatchObject([
      { appid: '111111', event: 'mix_other', seq: '1234', outcome: 'ignored' },
    ]);
  });
});
