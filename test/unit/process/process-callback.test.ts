import { Logger } from '@aws-lambda-powertools/logger';
import { ConditionalCheckFailedException, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Hooks } from '../../../lib/hook-contract';
import { createMetrics } from '../../../lib/metrics';
import { processCallback } from '../../../lib/process/process-callback';
import { parseQueuedCallback } from '../../../lib/queue/message';
import { signedCallback, signedMixStart } from '../../support/callbacks';
import { mockedDynamo, wire } from '../../support/dynamodb-mock';
import { capturedLogger } from '../../support/logs';
import { queuedBody } from '../../support/messages';
import { capturedMetrics, total } from '../../support/metrics';

const { client, ddb } = mockedDynamo();

const storedTask = (seq: string, status: 'running' | 'stopped') => ({
  appid: '111111',
  task_id: '111111:1111',
  status,
  seq,
  updatedAt: '2023-07-20T06:40:23.000Z',
});

/** A task reconciliation stopped, then its genuine mix_stop (seq) recorded. */
const reconciledThenStopped = (seq: string) => ({
  ...storedTask(seq, 'stopped'),
  stoppedBy: 'callback',
  reconciledAt: '2023-07-20T07:00:00.000Z',
});

function deps() {
  const hooks = { onMixStarted: vi.fn(async () => {}), onMixStopped: vi.fn(async () => {}) } satisfies Pick<
    Hooks,
    'onMixStarted' | 'onMixStopped'
  >;
  return {
    hooks,
    deps: {
      store: { tableName: 'tasks', stoppedRetentionSeconds: 0, client },
      hooks,
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics: createMetrics('consumer'),
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
  it('records a stop, then calls onMixStopped with the task and a context', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: wire(storedTask('1234', 'stopped')) });
    const { hooks, deps: d } = deps();
    const result = await processCallback(input(signedCallback()), d);
    expect(result).toEqual({ event: 'mix_stop', outcome: 'applied', taskStatus: 'stopped' });
    expect(hooks.onMixStopped).toHaveBeenCalledTimes(1);
    const [event, context] = hooks.onMixStopped.mock.calls[0] as unknown as [
      { inferred: boolean; task: { status: string }; callback: { seq: string } },
      { idempotencyKey: string; receivedAt: string },
    ];
    expect(event).toMatchObject({ inferred: false });
    expect(event.task.status).toBe('stopped');
    expect(event.callback.seq).toBe('1234');
    expect(context).toMatchObject({ idempotencyKey: 'key', receivedAt: '2023-07-20T06:40:23.000Z' });
    expect(hooks.onMixStarted).not.toHaveBeenCalled();
  });

  it('calls onMixStarted for a start', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: wire(storedTask('123', 'running')) });
    const { hooks, deps: d } = deps();
    await processCallback(input(signedMixStart()), d);
    expect(hooks.onMixStarted).toHaveBeenCalledTimes(1);
    expect(hooks.onMixStopped).not.toHaveBeenCalled();
  });

  it('calls no hook for a stale callback (a start older than the stop already applied)', async () => {
    ddb
      .on(UpdateItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {}, Item: undefined }));
    ddb.on(GetItemCommand).resolves({ Item: wire(storedTask('6', 'stopped')) });
    const { hooks, deps: d } = deps();
    const result = await processCallback(input(signedMixStart({ seq: '5' })), d);
    expect(result).toEqual({ event: 'mix_start', outcome: 'stale', taskStatus: 'stopped' });
    expect(hooks.onMixStarted).not.toHaveBeenCalled();
  });

  it('calls the hook again for a callback already applied whose hook failed before', async () => {
    ddb
      .on(UpdateItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
    ddb.on(GetItemCommand).resolves({ Item: wire(storedTask('1234', 'stopped')) });
    const { hooks, deps: d } = deps();
    const result = await processCallback(input(signedCallback()), d);
    expect(result.outcome).toBe('already_applied');
    expect(hooks.onMixStopped).toHaveBeenCalledTimes(1);
  });

  it('calls no hook again for a callback completed under the key used before the upgrade', async () => {
    ddb.on(UpdateItemCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    ddb.on(GetItemCommand).resolves({ Item: wire(storedTask('1234', 'stopped')) });
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

  it.each([
    [
      'applied',
      () => ddb.on(UpdateItemCommand).resolves({ Attributes: wire(reconciledThenStopped('1300')) }),
    ],
    [
      'already applied',
      () => {
        ddb
          .on(UpdateItemCommand)
          .rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
        ddb.on(GetItemCommand).resolves({ Item: wire(reconciledThenStopped('1300')) });
      },
    ],
  ])(
    'records a mix_stop (%s) of a run reconciliation stopped, and calls no hook a second time',
    async (_case, arrange) => {
      arrange();
      const { metrics, emitted } = capturedMetrics('consumer');
      const { hooks, deps: d } = deps();
      const result = await processCallback(input(signedCallback({ seq: '1300' })), { ...d, metrics });
      expect(result).toMatchObject({ event: 'mix_stop', taskStatus: 'stopped' });
      expect(hooks.onMixStopped).not.toHaveBeenCalled();
      const out = emitted();
      expect(total(out, 'StopAfterReconciliation')).toBe(1);
      expect(total(out, 'MixStopped')).toBe(0);
    },
  );

  it('calls onMixStopped for a mix_stop when the run was not reconciled (a reconciliation of an earlier run is gone)', async () => {
    // A new mix_start removes reconciledAt; what the store returns then has none.
    ddb
      .on(UpdateItemCommand)
      .resolves({ Attributes: wire({ ...storedTask('1300', 'stopped'), stoppedBy: 'callback' }) });
    const { hooks, deps: d } = deps();
    await processCallback(input(signedCallback({ seq: '1300' })), d);
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

  it('counts processed, started, stopped, stale and ignored callbacks, and the mix duration', async () => {
    const { metrics, emitted } = capturedMetrics('consumer');
    const { deps: d } = deps();
    const withMetrics = { ...d, metrics };
    const stopped = { ...storedTask('1234', 'stopped'), startedAt: 1000, stoppedAt: 1090 };
    ddb.on(UpdateItemCommand).resolves({ Attributes: wire(stopped) });
    await processCallback(input(signedCallback()), withMetrics);
    ddb.on(UpdateItemCommand).resolves({ Attributes: wire(storedTask('123', 'running')) });
    await processCallback(input(signedMixStart()), withMetrics);
    ddb
      .on(UpdateItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
    ddb.on(GetItemCommand).resolves({ Item: wire(storedTask('9999', 'stopped')) });
    await processCallback(input(signedMixStart({ seq: '5' })), withMetrics);
    const other = signedCallback({ event: 'mix_other' });
    delete other.task_id;
    await processCallback(input(other), withMetrics);

    const out = emitted();
    expect(total(out, 'CallbackProcessed')).toBe(2);
    expect(total(out, 'MixStopped')).toBe(1);
    expect(total(out, 'MixStarted')).toBe(1);
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
    expect(result).toEqual({ event: 'mix_stop', outcome: 'applied', taskStatus: 'stopped' });
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
      { outcome: 'applied', taskStatus: 'stopped', taskSeq: '1234' },
    ],
    [
      'a stale one',
      () => {
        ddb
          .on(UpdateItemCommand)
          .rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
        ddb.on(GetItemCommand).resolves({ Item: wire(storedTask('9999', 'running')) });
      },
      'WARN',
      { outcome: 'stale', taskStatus: 'running', taskSeq: '9999' },
    ],
    [
      'one of a run reconciliation stopped',
      () => ddb.on(UpdateItemCommand).resolves({ Attributes: wire(reconciledThenStopped('1234')) }),
      'INFO',
      { outcome: 'applied', taskStatus: 'stopped', reconciledAt: '2023-07-20T07:00:00.000Z' },
    ],
  ])(
    'logs %s once, with its ids, outcome and the task’s status and seq',
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
    ddb.on(UpdateItemCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    ddb.on(GetItemCommand).resolves({ Item: wire(storedTask('1234', 'stopped')) });
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
