import { Logger } from '@aws-lambda-powertools/logger';
import { ConditionalCheckFailedException, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Hooks } from '../../../lib/hook-contract';
import { createMetrics } from '../../../lib/metrics';
import { processReconciliation } from '../../../lib/process/process-reconciliation';
import { toQueuedReconciliation } from '../../../lib/queue/message';
import { mockedDynamo, wire } from '../../support/dynamodb-mock';
import { capturedLogger } from '../../support/logs';
import { capturedMetrics, total } from '../../support/metrics';

const { client, ddb } = mockedDynamo();
const CHECKED_AT = '2023-07-20T07:00:00.000Z';
const reconciliation = { appid: '111111', task_id: '111111:1111', seq: '123', checkedAt: CHECKED_AT };
const input = {
  idempotencyKey: '111111:111111:1111:#reconcile:123',
  message: toQueuedReconciliation(reconciliation, Date.parse('2023-07-20T07:00:01Z')),
};
const stored = (extra: Record<string, unknown>) => ({
  appid: '111111',
  task_id: '111111:1111',
  seq: '123',
  updatedAt: CHECKED_AT,
  ...extra,
});
const reconciled = stored({ status: 'stopped', stoppedBy: 'reconciliation', reconciledAt: CHECKED_AT });
/** DynamoDB's refusal of a conditional write, with the item as it stands (ALL_OLD). */
const refused = (Item?: ReturnType<typeof wire>) =>
  Object.assign(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }), { Item });

function deps() {
  const hooks = { onMixStarted: vi.fn(async () => {}), onMixStopped: vi.fn(async () => {}) } satisfies Pick<
    Hooks,
    'onMixStarted' | 'onMixStopped'
  >;
  const { metrics, emitted } = capturedMetrics('consumer');
  return {
    hooks,
    emitted,
    deps: {
      store: { tableName: 'tasks', stoppedRetentionSeconds: 0, client },
      hooks,
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics,
      remainingTimeMs: () => 10_000,
    },
  };
}

beforeEach(() => ddb.reset());

describe('processReconciliation', () => {
  it('stops the task, then calls onMixStopped once with inferred: true and no callback', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: wire(reconciled) });
    const { hooks, deps: d, emitted } = deps();
    const result = await processReconciliation(input, d);
    const runId = '111111:111111:1111:123';
    expect(result).toEqual({
      event: '#reconcile',
      outcome: 'applied',
      transition: 'run_stopped',
      runId,
      taskStatus: 'stopped',
    });
    expect(hooks.onMixStopped).toHaveBeenCalledTimes(1);
    const [event, context] = hooks.onMixStopped.mock.calls[0] as unknown as [
      Record<string, unknown>,
      { idempotencyKey: string; receivedAt: string },
    ];
    expect(event).toEqual({
      inferred: true,
      runId,
      reconciledAt: CHECKED_AT,
      task: expect.objectContaining({ status: 'stopped', stoppedBy: 'reconciliation' }),
    });
    expect(event).not.toHaveProperty('callback');
    expect(context).toMatchObject({
      idempotencyKey: '111111:111111:1111:#reconcile:123',
      receivedAt: '2023-07-20T07:00:01.000Z',
    });
    const out = emitted();
    expect(total(out, 'MixReconciled')).toBe(1);
    expect(total(out, 'MixStopped')).toBe(1);
    expect(total(out, 'MixDuration')).toBe(0);
  });

  it('calls the hook again when this reconciliation was applied before and its hook failed', async () => {
    ddb.on(UpdateItemCommand).rejects(refused(wire(reconciled)));
    const { hooks, deps: d } = deps();
    expect((await processReconciliation(input, d)).outcome).toBe('already_applied');
    expect(hooks.onMixStopped).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['its genuine mix_stop', stored({ status: 'stopped', stoppedBy: 'callback', seq: '124' })],
    ['a new mix_start', stored({ status: 'running', seq: '200' })],
  ])('calls no hook when %s got there first, and counts it stale', async (_case, current) => {
    ddb.on(UpdateItemCommand).rejects(refused(wire(current)));
    const { hooks, deps: d, emitted } = deps();
    expect((await processReconciliation(input, d)).outcome).toBe('stale');
    expect(hooks.onMixStopped).not.toHaveBeenCalled();
    expect(total(emitted(), 'ReconcileStale')).toBe(1);
  });

  it('lets a hook failure through, so the record is retried', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: wire(reconciled) });
    const { hooks, deps: d } = deps();
    hooks.onMixStopped.mockRejectedValueOnce(new Error('billing down'));
    await expect(
      processReconciliation(input, { ...d, metrics: createMetrics('consumer', 'test') }),
    ).rejects.toThrow('billing down');
  });

  it.each([
    [
      'a stop it made',
      () => ddb.on(UpdateItemCommand).resolves({ Attributes: wire(reconciled) }),
      'applied',
      'stopped',
      '123',
    ],
    [
      'a stale one',
      () => {
        ddb.on(UpdateItemCommand).rejects(refused(wire(stored({ status: 'running', seq: '200' }))));
      },
      'stale',
      'running',
      '200',
    ],
  ])(
    'logs %s with the task’s ids, the #reconcile event and the outcome',
    async (_case, arrange, outcome, status, seq) => {
      arrange();
      const { deps: d } = deps(); // before the logger capture: both read stdout, the last one wins
      const { logger, records } = capturedLogger();
      await processReconciliation(input, { ...d, logger, metrics: createMetrics('consumer', 'test') });
      expect(records().filter((record) => 'message' in record)).toMatchObject([
        {
          appid: '111111',
          task_id: '111111:1111',
          seq: '123',
          event: '#reconcile',
          outcome,
          taskStatus: status,
          taskSeq: seq,
        },
      ]);
    },
  );

  it('logs when reconciliation stopped the task', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: wire(reconciled) });
    const { deps: d } = deps(); // before the logger capture: both read stdout, the last one wins
    const { logger, records } = capturedLogger();
    await processReconciliation(input, { ...d, logger, metrics: createMetrics('consumer', 'test') });
    expect(records()[0]).toMatchObject({ reconciledAt: CHECKED_AT });
  });
});
