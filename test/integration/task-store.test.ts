import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQueuedCallback, type QueuedMixStart, type QueuedMixStop } from '../../lib/queue/message';
import { applyMixEvent } from '../../lib/store/apply-mix-event';
import { applyReconciliation, recordCheck } from '../../lib/store/check-writes';
import { appTasks, getTask } from '../../lib/store/task-reads';
import { signedCallback, signedMixStart } from '../support/callbacks';
import { collect } from '../support/collect';
import { type LocalStack, startLocalStack } from '../support/local-stack';
import { queuedBody } from '../support/messages';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack();
});
afterAll(() => stack?.stop());

const store = () => ({
  tableName: stack.tables.tasks,
  stoppedRetentionSeconds: 3_600,
  client: stack.clients.dynamo,
});
/** The task's item as DynamoDB holds it, each attribute's value as written (numbers as text). */
async function item(task_id: string) {
  const { Item } = await stack.clients.dynamo.send(
    new GetItemCommand({
      TableName: stack.tables.tasks,
      Key: { appid: { S: '111111' }, task_id: { S: task_id } },
      ConsistentRead: true,
    }),
  );
  return Object.fromEntries(
    Object.entries(Item ?? {}).map(([name, value]) => [name, Object.values(value)[0]]),
  );
}

const stop = (o = {}) => parseQueuedCallback(queuedBody(signedCallback(o))).callback as QueuedMixStop;
const start = (o = {}) => parseQueuedCallback(queuedBody(signedMixStart(o))).callback as QueuedMixStart;

describe('task store on DynamoDB Local', () => {
  it('orders seqs past 2^53 by every digit (they are equal as JS numbers)', async () => {
    expect(Number('90071992547409931')).toBe(Number('90071992547409930'));
    await applyMixEvent(stop({ task_id: 'big', seq: '90071992547409931' }), 'r1', store());
    const late = await applyMixEvent(start({ task_id: 'big', seq: '90071992547409930' }), 'r2', store());
    expect(late.outcome).toBe('stale');
    expect(await getTask('111111', 'big', store())).toMatchObject({
      status: 'stopped',
      seq: '90071992547409931',
    });
  });

  it('runs a task again when a later start reuses its id, dropping the old stop', async () => {
    await applyMixEvent(start({ task_id: 'again', seq: '1' }), 'r1', store());
    await applyMixEvent(stop({ task_id: 'again', seq: '2' }), 'r2', store());
    const rerun = await applyMixEvent(start({ task_id: 'again', seq: '3' }), 'r3', store());
    expect(rerun.outcome).toBe('applied');
    expect(rerun.task).toMatchObject({ status: 'running', seq: '3' });
    expect(rerun.task).not.toHaveProperty('stoppedAt');
    expect(rerun.task).not.toHaveProperty('expiresAt');
  });

  it('keeps what an earlier callback set when a later one lacks the field', async () => {
    await applyMixEvent(
      start({ task_id: 'partial', seq: '1', mix_url: 'rtmp://play.example.invalid/a' }),
      'r1',
      store(),
    );
    const { outcome, task } = await applyMixEvent(
      stop({ task_id: 'partial', seq: '2', mix_url: undefined, channel_id: undefined }),
      'r2',
      store(),
    );
    expect(outcome).toBe('applied');
    expect(task).toMatchObject({
      status: 'stopped',
      mix_url: 'rtmp://play.example.invalid/a',
      channel_id: '2222',
    });
  });

  it('sets a stopped task to expire after the retention, and lists an app’s tasks', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { task } = await applyMixEvent(
      stop({ task_id: 'expiring', seq: '10', appid: '222222' }),
      'r',
      store(),
    );
    expect(task.expiresAt).toBeGreaterThanOrEqual(before + 3_600);
    const tasks = await collect(appTasks('222222', store()));
    expect(tasks.map((t) => t.task_id)).toEqual(['expiring']);
  });

  it.each([
    ['1,025 bytes of ASCII', `x${'y'.repeat(1_024)}`],
    ['400 x "中" (1,200 bytes)', '中'.repeat(400)],
    ['one that looks like a hashed key', 'sha256:not-really'],
  ])('keeps a task id of %s under a hashed key, and gives it back whole', async (_case, taskId) => {
    await applyMixEvent(start({ task_id: taskId, seq: '1', appid: '333333' }), 'r1', store());
    const { outcome, task } = await applyMixEvent(
      stop({ task_id: taskId, seq: '2', appid: '333333' }),
      'r2',
      store(),
    );
    expect(outcome).toBe('applied');
    expect(task).toMatchObject({ task_id: taskId, status: 'stopped' });
    expect(await getTask('333333', taskId, store())).toMatchObject({ task_id: taskId, seq: '2' });
    expect(
      (await applyMixEvent(stop({ task_id: taskId, seq: '2', appid: '333333' }), 'r3', store())).outcome,
    ).toBe('already_applied');
    const tasks = await collect(appTasks('333333', store()));
    expect(tasks.map((t) => t.task_id)).toContain(taskId);
  });

  it('keeps the longest task id that fits a key as it is', async () => {
    const taskId = 'k'.repeat(1_024);
    await applyMixEvent(stop({ task_id: taskId, seq: '1', appid: '444444' }), 'r', store());
    const item = await stack.clients.dynamo.send(
      new GetItemCommand({
        TableName: stack.tables.tasks,
        Key: { appid: { S: '444444' }, task_id: { S: taskId } },
      }),
    );
    expect(item.Item).toMatchObject({ task_id: { S: taskId } });
    expect(item.Item).not.toHaveProperty('fullTaskId');
  });

  it('stores emoji, U+FFFE and control characters in task fields exactly', async () => {
    const room = '🎥 a\ufffeb\u0000c\u001b[2J';
    await applyMixEvent(
      stop({ task_id: 'odd-text', seq: '1', appid: '555555', channel_id: room }),
      'r',
      store(),
    );
    expect(await getTask('555555', 'odd-text', store())).toMatchObject({ channel_id: room });
  });

  it('leaves on the item what each transition says, and nothing of the run before', async () => {
    const id = 'life';
    const running = ['runningSince', 'runningShard', 'checkAt'];
    const stopped = ['stopSeq', 'stoppedAt', 'stopReceivedAt', 'stoppedBy', 'expiresAt'];

    await applyMixEvent(start({ task_id: id, seq: '10' }), 'r1', store());
    const first = await item(id);
    expect(first).toMatchObject({ status: 'running', runId: `111111:${id}:10`, startSeq: '10' });
    for (const name of running) expect(first, name).toHaveProperty(name);
    for (const name of stopped) expect(first, name).not.toHaveProperty(name);

    await applyMixEvent(start({ task_id: id, seq: '11' }), 'r2', store()); // an update: the run is kept
    expect(await item(id)).toMatchObject({
      seq: '11',
      runId: first.runId,
      startSeq: '10',
      startedAt: first.startedAt,
    });

    await applyMixEvent(stop({ task_id: id, seq: '12' }), 'r3', store());
    const ended = await item(id);
    expect(ended).toMatchObject({
      status: 'stopped',
      runId: first.runId,
      stopSeq: '12',
      stoppedBy: 'callback',
    });
    for (const name of running) expect(ended, name).not.toHaveProperty(name);
    expect(ended).toHaveProperty('expiresAt');

    await applyMixEvent(start({ task_id: id, seq: '20' }), 'r4', store()); // a new run
    const again = await item(id);
    expect(again).toMatchObject({ status: 'running', runId: `111111:${id}:20`, startSeq: '20' });
    for (const name of stopped) expect(again, name).not.toHaveProperty(name);

    // Kept forever (retention 0): no expiry, after a callback's stop or a reconciliation's.
    const forever = { ...store(), stoppedRetentionSeconds: 0 };
    await applyMixEvent(stop({ task_id: id, seq: '21' }), 'r5', forever);
    expect(await item(id)).not.toHaveProperty('expiresAt');
    await applyMixEvent(start({ task_id: 'life-2', seq: '5' }), 'r6', store());
    const checkedAt = new Date().toISOString();
    await applyReconciliation({ appid: '111111', task_id: 'life-2', seq: '5', checkedAt }, forever);
    const reconciled = await item('life-2');
    expect(reconciled).toMatchObject({
      status: 'stopped',
      stoppedBy: 'reconciliation',
      reconciledAt: checkedAt,
    });
    for (const name of [...running, 'expiresAt']) expect(reconciled, name).not.toHaveProperty(name);
  });

  it('keeps the run’s times: its first check after its start, and the stop its hook saw', async () => {
    const id = 'times';
    const checked = { ...store(), firstCheckAfterSeconds: 600 };
    await applyMixEvent(start({ task_id: id, seq: '10', timestamp: '1700000000' }), 'r1', checked);
    expect(await item(id)).toMatchObject({ startedAt: '1700000000', checkAt: '1700000600' });
    await applyMixEvent(stop({ task_id: id, seq: '11', timestamp: '1700000100' }), 'r2', checked);
    // StopMix called twice: recorded, and the run's stop stays the first one's.
    await applyMixEvent(stop({ task_id: id, seq: '12', timestamp: '1700000200' }), 'r3', checked);
    expect(await item(id)).toMatchObject({ seq: '12', stopSeq: '11', stoppedAt: '1700000100' });
  });

  it('gives a task running from before the index had shards its shard on its next update, due at once', async () => {
    const id = 'unsharded';
    await applyMixEvent(start({ task_id: id, seq: '10' }), 'r1', store());
    await stack.clients.dynamo.send(
      new UpdateItemCommand({
        TableName: stack.tables.tasks,
        Key: { appid: { S: '111111' }, task_id: { S: id } },
        UpdateExpression: 'REMOVE runningShard, checkAt',
      }),
    );
    await applyMixEvent(start({ task_id: id, seq: '11' }), 'r2', store());
    expect(await item(id)).toMatchObject({ seq: '11', runningShard: expect.any(String), checkAt: '0' });
  });

  it('marks a run reported as orphaned once: a second report of it writes nothing', async () => {
    const id = 'reported';
    const { task } = await applyMixEvent(start({ task_id: id, seq: '10' }), 'r1', store());
    const table = { tableName: stack.tables.tasks, client: stack.clients.dynamo };
    const running = { appid: '111111', task_id: id, runId: task.runId ?? '', seq: task.seq };
    expect(await recordCheck(running, { checkAt: 1, orphanReportedAt: '2026-12-03T00:00:00Z' }, table)).toBe(
      true,
    );
    expect(await recordCheck(running, { checkAt: 2, orphanReportedAt: '2026-12-03T01:00:00Z' }, table)).toBe(
      false,
    );
    expect(await item(id)).toMatchObject({ checkAt: '1', orphanReportedAt: '2026-12-03T00:00:00Z' });
  });
});
