/**
 * The example hook's tests, to copy with it: the AWS client is faked (aws-sdk-client-mock), the
 * settings are given inline, and the events are built as the pipeline builds them.
 */
import { ConditionalCheckFailedException, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HookContext, MixStoppedEvent } from '../../lib/hook-contract';
import type { MixTask } from '../../lib/store/task-item';
import { capturedLogger } from '../../test/support/logs';
import { billingHooks } from './hooks';

const dynamo = mockClient(DynamoDBClient);
const hooks = billingHooks(new DynamoDBClient({ region: 'us-east-1' }));

const task: MixTask = {
  appid: '1234567890',
  task_id: 'task-1',
  runId: '1234567890:task-1:10',
  status: 'stopped',
  seq: '10',
  startedAt: 1_764_000_000,
  stoppedAt: 1_764_000_090,
  stoppedBy: 'reconciliation',
  updatedAt: '2026-12-03T00:00:00.000Z',
};
const stopped: MixStoppedEvent = {
  inferred: true,
  runId: task.runId,
  task,
  reconciledAt: '2026-12-03T00:00:00Z',
};
const context = (): HookContext => ({
  idempotencyKey: '1234567890:task-1:#reconcile:10',
  receivedAt: '2026-12-03T00:00:00Z',
  logger: capturedLogger().logger,
  remainingTimeMs: () => 30_000,
});

beforeEach(() => {
  dynamo.reset();
  vi.stubEnv('HOOK_SETTINGS', '{"BILLING_TABLE":"billing-test"}');
});
afterEach(() => vi.unstubAllEnvs());

describe('the example billing hook', () => {
  it('writes one record per run, keyed on its id, only if it is not there yet', async () => {
    dynamo.on(PutItemCommand).resolves({});
    await hooks.onMixStopped(stopped, context());
    const [put] = dynamo.commandCalls(PutItemCommand);
    expect(put?.args[0].input).toEqual({
      TableName: 'billing-test',
      Item: {
        runId: { S: '1234567890:task-1:10' },
        appid: { S: '1234567890' },
        taskId: { S: 'task-1' },
        seconds: { N: '90' },
        inferred: { BOOL: true },
      },
      ConditionExpression: 'attribute_not_exists(runId)',
    });
  });

  it('is done when an earlier call already wrote the run (the hook ran again after a failure)', async () => {
    dynamo
      .on(PutItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    await expect(hooks.onMixStopped(stopped, context())).resolves.toBeUndefined();
  });

  it('throws any other failure, so the pipeline delivers the stop again', async () => {
    dynamo.on(PutItemCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    await expect(hooks.onMixStopped(stopped, context())).rejects.toThrow('ProvisionedThroughput');
  });

  it('says which setting is missing rather than writing to no table', async () => {
    vi.stubEnv('HOOK_SETTINGS', '{}');
    await expect(hooks.onMixStopped(stopped, context())).rejects.toThrow(
      'the hook setting BILLING_TABLE is not set',
    );
    expect(dynamo.calls()).toHaveLength(0);
  });
});
