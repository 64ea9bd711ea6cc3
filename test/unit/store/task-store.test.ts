import {
  ConditionalCheckFailedException,
  GetItemCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, NumberValueImpl as NumberValue, unmarshall } from '@aws-sdk/util-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseQueuedCallback, type QueuedMixStart, type QueuedMixStop } from '../../../lib/queue/message';
import { applyMixEvent } from '../../../lib/store/apply-mix-event';
import { applyReconciliation, recordCheck } from '../../../lib/store/check-writes';
import { RUNNING_INDEX, RUNNING_SHARDS, taskKey, toTask } from '../../../lib/store/task-item';
import { appTasks, getTask, runningTasks, tallyRunningTasks } from '../../../lib/store/task-reads';
import { signedCallback, signedMixStart, TEST_NOW_MS } from '../../support/callbacks';
import { collect } from '../../support/collect';
import { mockedDynamo, wire } from '../../support/dynamodb-mock';
import { queuedBody } from '../../support/messages';

const { client, ddb } = mockedDynamo();
const options = { tableName: 'tasks', stoppedRetentionSeconds: 86_400, now: () => TEST_NOW_MS, client };

const stop = (overrides = {}) =>
  parseQueuedCallback(queuedBody(signedCallback(overrides))).callback as QueuedMixStop;
const start = (overrides = {}) =>
  parseQueuedCallback(queuedBody(signedMixStart(overrides))).callback as QueuedMixStart;
const refused = (item?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({
    message: 'failed',
    $metadata: {},
    Item: item ? marshall(item) : undefined,
  });

/**
 * The first UpdateItem sent: its key and values read back (numbers as numbers), the seq as sent
 * (a DynamoDB number of every digit).
 */
function sentUpdate() {
  const input = ddb.commandCalls(UpdateItemCommand)[0]?.args[0].input;
  const { ':seq': seq, ...values } = input?.ExpressionAttributeValues ?? {};
  return { ...input, Key: unmarshall(input?.Key ?? {}), ExpressionAttributeValues: unmarshall(values), seq };
}

const KEY = { appid: '111111', task_id: '111111:1111' };
const UPDATED = '2023-07-20T06:40:23.000Z';

beforeEach(() => ddb.reset());

describe('applyMixEvent', () => {
  it('records a run’s first stop in one request, off the running index, with its run and expiry', async () => {
    ddb.on(UpdateItemCommand).resolves({
      Attributes: wire({ ...KEY, status: 'stopped', seq: new NumberValue('1234'), updatedAt: UPDATED }),
    });
    const result = await applyMixEvent(stop(), '2023-07-20T06:40:23.000Z', options);
    expect(result).toMatchObject({ outcome: 'applied', transition: 'run_stopped', task: { seq: '1234' } });
    const update = sentUpdate();
    expect(update?.Key).toEqual(KEY);
    expect(update?.ExpressionAttributeValues).toMatchObject({
      ':status': 'stopped',
      ':stoppedBy': 'callback',
      ':stoppedAt': 1689835223,
      ':stopReceivedAt': '2023-07-20T06:40:23.000Z',
      ':channel_id': '2222',
      ':expiresAt': 1689835223 + 86_400,
      // Kept when the task has one (a running run), given when the stop came first.
      ':runId': '111111:111111:1111:1234',
    });
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(1);
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(0);
  });

  it('begins a run with a start: its id, its start, the play URLs, and none of the last run’s stop', async () => {
    ddb.on(UpdateItemCommand).resolves({
      Attributes: wire({ ...KEY, status: 'running', seq: new NumberValue('123'), updatedAt: UPDATED }),
    });
    const result = await applyMixEvent(
      start({ hls_urls: undefined, hls_url: 'https://play.example.invalid/one.m3u8' }),
      'now',
      options,
    );
    expect(result).toMatchObject({ outcome: 'applied', transition: 'run_started' });
    const update = sentUpdate();
    expect(update?.ExpressionAttributeValues).toMatchObject({
      ':status': 'running',
      ':runId': '111111:111111:1111:123',
      ':startedAt': 1689835223,
      ':runningSince': 1689835223,
      ':rtmp_urls': ['rtmp://play.example.invalid/live/aaa'],
      ':hls_urls': ['https://play.example.invalid/one.m3u8'],
    });
    expect(update?.ExpressionAttributeValues).toMatchObject({ ':startSeq': 123 });
  });

  it('sets no expiry on a stopped task when stopped tasks are kept forever (retention 0)', async () => {
    ddb.on(UpdateItemCommand).resolves({
      Attributes: wire({ ...KEY, status: 'stopped', seq: new NumberValue('1234'), updatedAt: UPDATED }),
    });
    await applyMixEvent(stop(), 'now', { ...options, stoppedRetentionSeconds: 0 });
    const update = sentUpdate();
    expect(update?.ExpressionAttributeValues).not.toHaveProperty(':expiresAt');
  });

  it('keeps every digit of a seq past 2^53', async () => {
    ddb.on(UpdateItemCommand).resolves({
      Attributes: wire({
        ...KEY,
        status: 'stopped',
        seq: new NumberValue('90071992547409931'),
        updatedAt: UPDATED,
      }),
    });
    const result = await applyMixEvent(stop({ seq: '90071992547409931' }), 'now', options);
    expect(sentUpdate().seq).toEqual({ N: '90071992547409931' });
    expect(result.task.seq).toBe('90071992547409931');
  });

  it('calls a refused write stale from the item DynamoDB returns, without reading or writing again', async () => {
    ddb.on(UpdateItemCommand).rejects(refused({ ...KEY, status: 'stopped', seq: 6, updatedAt: UPDATED }));
    const result = await applyMixEvent(start({ seq: '5' }), 'now', options);
    expect(result).toMatchObject({
      outcome: 'stale',
      transition: 'stale',
      task: { status: 'stopped', seq: '6' },
    });
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(0);
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(1);
  });

  it('calls a refused stop that this very callback made before already applied: its hook runs again', async () => {
    const stopped = {
      ...KEY,
      status: 'stopped',
      seq: 1234,
      stopSeq: 1234,
      stoppedBy: 'callback',
      runId: 'r',
    };
    ddb.on(UpdateItemCommand).rejects(refused({ ...stopped, updatedAt: UPDATED }));
    expect(await applyMixEvent(stop(), 'now', options)).toMatchObject({
      outcome: 'already_applied',
      transition: 'run_stopped',
    });
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(1);
  });

  it('writes a transition the first try did not guess once more, conditioned on the task it read', async () => {
    const running = { ...KEY, status: 'running', seq: 10, startSeq: 10, runId: 'run-10', updatedAt: UPDATED };
    ddb
      .on(UpdateItemCommand)
      .rejectsOnce(refused(running))
      .resolves({ Attributes: wire({ ...running, seq: 11 }) });
    const result = await applyMixEvent(start({ seq: '11' }), 'now', options);
    expect(result).toMatchObject({
      outcome: 'applied',
      transition: 'run_updated',
      task: { runId: 'run-10' },
    });
    const second = ddb.commandCalls(UpdateItemCommand)[1]?.args[0].input;
    expect(unmarshall(second?.ExpressionAttributeValues ?? {})).toMatchObject({
      ':wasStatus': 'running',
      ':wasSeq': 10,
      ':runId': 'run-10',
    });
  });

  it('gives up after three writes in a row that lost to another writer, so SQS retries the callback', async () => {
    let seq = 10;
    ddb.on(UpdateItemCommand).callsFake(() => {
      seq += 1; // someone else moves the task on each time
      throw refused({ ...KEY, status: 'running', seq, startSeq: 1, runId: 'r', updatedAt: UPDATED });
    });
    await expect(applyMixEvent(start({ seq: '100' }), 'now', options)).rejects.toThrow(
      'the task changed under 3 writes in a row',
    );
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(3);
  });

  it('lets other DynamoDB errors through', async () => {
    ddb.on(UpdateItemCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    await expect(applyMixEvent(stop(), 'now', options)).rejects.toThrow('ProvisionedThroughput');
  });

  it('writes a task anew when a refusal returns no item (the task is gone), reading nothing', async () => {
    ddb
      .on(UpdateItemCommand)
      .rejectsOnce(refused())
      .resolves({ Attributes: wire({ ...KEY, status: 'stopped', seq: 1234, updatedAt: UPDATED }) });
    expect(await applyMixEvent(stop(), 'now', options)).toMatchObject({
      outcome: 'applied',
      transition: 'run_stopped',
    });
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(0);
    expect(ddb.commandCalls(UpdateItemCommand)[1]?.args[0].input.ConditionExpression).toBe(
      'attribute_not_exists(#seq)',
    );
  });

  it('stores a single play URL when the list is empty', async () => {
    ddb.on(UpdateItemCommand).resolves({
      Attributes: wire({ ...KEY, status: 'running', seq: new NumberValue('123'), updatedAt: UPDATED }),
    });
    await applyMixEvent(
      start({ hls_urls: [], hls_url: 'https://play.example.invalid/one.m3u8', hdl_urls: [] }),
      'now',
      options,
    );
    const values = sentUpdate().ExpressionAttributeValues;
    expect(values?.[':hls_urls']).toEqual(['https://play.example.invalid/one.m3u8']);
    expect(values).not.toHaveProperty(':hdl_urls');
  });
});

describe('applyReconciliation', () => {
  const CHECKED_AT = '2023-07-20T07:00:00.000Z';
  const reconciliation = { appid: '111111', task_id: '111111:1111', seq: '123', checkedAt: CHECKED_AT };
  const reconciled = {
    ...KEY,
    status: 'stopped',
    seq: 123,
    runId: '111111:111111:1111:123',
    stoppedBy: 'reconciliation',
    reconciledAt: CHECKED_AT,
    updatedAt: UPDATED,
  };

  it('stops the run the check saw running, at the check’s time, off the running index', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: wire(reconciled) });
    const result = await applyReconciliation(reconciliation, options);
    expect(result).toMatchObject({
      outcome: 'applied',
      transition: 'run_stopped',
      task: { status: 'stopped', stoppedBy: 'reconciliation' },
    });
    const update = sentUpdate();
    expect(update?.Key).toEqual(KEY);
    expect(update.seq).toEqual({ N: '123' });
    expect(update?.ExpressionAttributeValues).toMatchObject({
      ':status': 'stopped',
      ':stoppedBy': 'reconciliation',
      ':reconciledAt': CHECKED_AT,
      ':stoppedAt': Date.parse(CHECKED_AT) / 1000,
      ':expiresAt': TEST_NOW_MS / 1000 + 86_400,
      ':runId': '111111:111111:1111:123',
    });
  });

  it('sets no expiry when stopped tasks are kept forever', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: wire(reconciled) });
    await applyReconciliation(reconciliation, { ...options, stoppedRetentionSeconds: 0 });
    expect(sentUpdate()?.ExpressionAttributeValues).not.toHaveProperty(':expiresAt');
  });

  it('calls a refused write already applied when this very reconciliation stopped the task', async () => {
    ddb.on(UpdateItemCommand).rejects(refused(reconciled));
    expect((await applyReconciliation(reconciliation, options)).outcome).toBe('already_applied');
  });

  it.each([
    [
      'a genuine stop got there first',
      { ...KEY, status: 'stopped', stoppedBy: 'callback', seq: 124, updatedAt: UPDATED },
    ],
    [
      'a genuine stop of the same seq got there first',
      { ...KEY, status: 'stopped', seq: 123, updatedAt: UPDATED },
    ],
    ['a new start got there first', { ...KEY, status: 'running', seq: 200, updatedAt: UPDATED }],
    ['another check reconciled it', { ...reconciled, reconciledAt: '2023-07-20T07:15:00.000Z' }],
    // Each part of "this very reconciliation" counts, even where the others happen to match.
    ['its callback stopped it, stamped with this check', { ...reconciled, stoppedBy: 'callback' }],
  ])('calls a refused write stale when %s', async (_case, current) => {
    ddb.on(UpdateItemCommand).rejects(refused(current));
    expect((await applyReconciliation(reconciliation, options)).outcome).toBe('stale');
  });

  it('reads every digit of the seq DynamoDB returns with a refusal', async () => {
    const big = { ...reconciliation, seq: '90071992547409931' };
    ddb.on(UpdateItemCommand).rejects(refused({ ...reconciled, seq: NumberValue.from('90071992547409931') }));
    expect(await applyReconciliation(big, options)).toMatchObject({
      outcome: 'already_applied',
      task: { seq: '90071992547409931' },
    });
  });

  it('calls a reconciliation of a task that is not in the table stale, and creates nothing', async () => {
    ddb.on(UpdateItemCommand).rejects(refused());
    ddb.on(GetItemCommand).resolves({});
    expect(await applyReconciliation(reconciliation, options)).toEqual({
      outcome: 'stale',
      transition: 'stale',
      task: undefined,
    });
  });

  it('lets other DynamoDB errors through', async () => {
    ddb.on(UpdateItemCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    await expect(applyReconciliation(reconciliation, options)).rejects.toThrow('ProvisionedThroughput');
  });
});

const item = (taskId: string, extra: Record<string, unknown> = {}) => ({
  appid: '111111',
  task_id: taskId,
  status: 'running',
  seq: NumberValue.from('12345678901234567890'),
  updatedAt: '2026-11-28T00:00:00.000Z',
  ...extra,
});

describe('reading the table', () => {
  it('reads an item into a task: numbers unwrapped, seq with every digit, the whole long task id', () => {
    const task = toTask(
      item('sha256:ab', { fullTaskId: 'x'.repeat(2_000), startedAt: NumberValue.from('1689835223') }),
    );
    expect(task).toMatchObject({
      task_id: 'x'.repeat(2_000),
      seq: '12345678901234567890',
      startedAt: 1_689_835_223,
    });
    expect(task).not.toHaveProperty('fullTaskId');
  });

  it('refuses an item that is not a task, naming what is wrong', () => {
    expect(() => toTask(item('t', { status: 'paused' }))).toThrow(/status/);
    expect(() => toTask(item('t', { seq: 'x1' }))).toThrow(/seq/);
    expect(() => toTask(item('t', { seq: '1x' }))).toThrow(/seq/);
    expect(() => toTask(undefined)).toThrow(/no task item/);
    const failure = (() => {
      try {
        toTask(item('t', { status: 'paused', rtmp_urls: ['ok', 7] }));
      } catch (error) {
        return error as Error;
      }
    })();
    expect(failure?.message).toMatch(/^a tasks table item is not a task \(status: .+; rtmp_urls\.1: .+\)$/);
    expect(failure?.cause).toBeInstanceOf(Error);
  });

  it('keys a task id that fits by itself, and one too long, or that looks hashed, by its hash', () => {
    const hashed = /^sha256:[0-9a-f]{64}$/;
    expect(taskKey('1', 'k'.repeat(1_024)).task_id).toBe('k'.repeat(1_024));
    expect(taskKey('1', 'k'.repeat(1_025)).task_id).toMatch(hashed);
    expect(taskKey('1', 'sha256:not-really').task_id).toMatch(hashed);
    expect(taskKey('1', 'not-really:sha256:').task_id).toBe('not-really:sha256:');
  });

  it('reads one task consistently (the CLI and the smoke test read right after a write)', async () => {
    ddb.on(GetItemCommand).resolves({ Item: wire(item('t')) });
    expect(await getTask('111111', 't', { tableName: 'tasks', client })).toMatchObject({ task_id: 't' });
    expect(ddb.commandCalls(GetItemCommand)[0]?.args[0].input).toEqual({
      TableName: 'tasks',
      Key: marshall({ appid: '111111', task_id: 't' }),
      ConsistentRead: true,
    });
  });

  it('reads an app’s tasks page by page, following LastEvaluatedKey', async () => {
    const pages = [
      { Items: [wire(item('a'))], LastEvaluatedKey: marshall({ appid: '111111', task_id: 'a' }) },
      { Items: [wire(item('b'))], LastEvaluatedKey: marshall({ appid: '111111', task_id: 'b' }) },
      { Items: [wire(item('c'))] },
    ];
    const asked: unknown[] = [];
    ddb.on(QueryCommand).callsFake((input) => {
      asked.push([input.IndexName, input.ExclusiveStartKey?.task_id?.S]);
      return pages[asked.length - 1];
    });
    const tasks = await collect(appTasks('111111', { tableName: 'tasks', client }));
    expect(tasks.map((task) => task.task_id)).toEqual(['a', 'b', 'c']);
    expect(asked).toEqual([
      [undefined, undefined],
      [undefined, 'a'],
      [undefined, 'b'],
    ]);
  });
});

describe('the running index', () => {
  it('is tallied 500 items a page and shard, only runningSince read; the check reads 100 at a time', async () => {
    const asked: QueryCommandInput[] = [];
    ddb.on(QueryCommand).callsFake((input: QueryCommandInput) => {
      asked.push(input);
      return { Items: [] };
    });
    await tallyRunningTasks({ tableName: 'tasks', client, dueBy: 1_000 });
    const tally = asked.splice(0);
    await collect(runningTasks({ tableName: 'tasks', client, dueBy: 1_000 }));
    const shards = (queries: QueryCommandInput[]) =>
      queries.map((q) => unmarshall(q.ExpressionAttributeValues ?? {})[':shard']);
    const everyShard = Array.from({ length: RUNNING_SHARDS }, (_, shard) => shard);
    expect(shards(tally)).toEqual(everyShard);
    expect(tally.map((q) => [q.IndexName, q.Limit, q.ProjectionExpression])).toEqual(
      everyShard.map(() => [RUNNING_INDEX, 500, 'runningSince']),
    );
    expect(shards(asked)).toEqual(everyShard);
    expect(asked.map((q) => [q.IndexName, q.Limit, q.ProjectionExpression])).toEqual(
      everyShard.map(() => [RUNNING_INDEX, 100, undefined]),
    );
  });
});

describe('recordCheck', () => {
  const task = { appid: '111111', task_id: 't', runId: '111111:t:7', seq: '7' };

  it('moves the next check of this run only, and reports it orphaned when told', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    expect(
      await recordCheck(task, { checkAt: 100, orphanReportedAt: 'now' }, { tableName: 'tasks', client }),
    ).toBe(true);
    const input = ddb.commandCalls(UpdateItemCommand)[0]?.args[0].input;
    expect(input?.Key).toEqual(marshall({ appid: '111111', task_id: 't' }));
    expect(unmarshall(input?.ExpressionAttributeValues ?? {})).toEqual({
      ':checkAt': 100,
      ':orphanReportedAt': 'now',
      ':runId': '111111:t:7',
      ':seq': 7,
    });
  });

  it('answers false, without throwing, for a task that stopped, started again or was updated meanwhile', async () => {
    ddb.on(UpdateItemCommand).rejects(refused());
    expect(await recordCheck(task, { checkAt: 100 }, { tableName: 'tasks', client })).toBe(false);
  });

  it('lets throttling through, so the check fails and runs again', async () => {
    ddb.on(UpdateItemCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    await expect(recordCheck(task, { checkAt: 100 }, { tableName: 'tasks', client })).rejects.toThrow(
      'slow down',
    );
  });
});
