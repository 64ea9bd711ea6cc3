import { DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runningStack, zego } from './run-zego';

const dynamo = mockClient(DynamoDBClient);

const running = {
  appid: '111111',
  task_id: 'demo-1',
  status: 'running',
  seq: 10,
  runId: '111111:demo-1:10',
  startSeq: 10,
  startedAt: 1_795_903_634,
  runningSince: 1_795_903_634,
  startReceivedAt: '2026-11-28T22:07:14.894Z',
  updatedAt: '2026-11-28T22:07:14.900Z',
};
const stopped = {
  appid: '111111',
  task_id: 'demo-2',
  status: 'stopped',
  seq: 12,
  runId: '111111:demo-2:12',
  stopSeq: 12,
  stoppedBy: 'callback',
  stoppedAt: 1_795_903_637,
  stopReceivedAt: '2026-11-28T22:07:17.520Z',
  updatedAt: '2026-11-28T22:07:17.542Z',
  expiresAt: 1_803_679_637,
};

beforeEach(() => {
  runningStack('any');
  dynamo.reset();
});
afterEach(() => {
  dynamo.reset();
});

describe('zego task', () => {
  it('shows every time in Unix seconds as a UTC time too: expiresAt, runningSince', async () => {
    dynamo.on(GetItemCommand).resolves({ Item: marshall(running) });
    const shownRunning = (await zego('task', 'demo-1', '--appid', '111111')).stdout;
    dynamo.on(GetItemCommand).resolves({ Item: marshall(stopped) });
    const shownStopped = (await zego('task', 'demo-2', '--appid', '111111')).stdout;
    expect(shownRunning).toContain('startedAt          1795903634 (2026-11-28 22:07:14 UTC)');
    expect(shownRunning).toContain('runningSince       1795903634 (2026-11-28 22:07:14 UTC)');
    expect(shownStopped).toContain('stoppedAt          1795903637 (2026-11-28 22:07:17 UTC)');
    expect(shownStopped).toContain('expiresAt          1803679637 (2027-02-26 22:07:17 UTC)');
  });

  it('says where to find the task ids when there is no such task', async () => {
    dynamo.on(GetItemCommand).resolves({});
    expect(await zego('task', 'nope', '--appid', '111111')).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'zego task: no task nope of app 111111 in the local stack; `zego tasks --appid 111111` lists the tasks there',
    });
  });
});

describe('zego tasks', () => {
  it('prints every field as stored with --json, running tasks with runningSince', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [running, stopped].map((item) => marshall(item)) });
    const lines = (await zego('tasks', '--json')).stdout.split('\n').map((line) => JSON.parse(line));
    expect(lines).toEqual([
      { ...running, seq: '10', startSeq: '10' },
      { ...stopped, seq: '12', stopSeq: '12' },
    ]);
    // The local stack's app, by a query: the table is never scanned.
    expect(dynamo.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      KeyConditionExpression: 'appid = :appid',
      ExpressionAttributeValues: { ':appid': { S: '111111' } },
    });
  });

  it('marks its times as UTC', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [marshall(stopped)] });
    expect((await zego('tasks')).stdout.split('\n')[0]).toMatch(/STARTED \(UTC\) +STOPPED \(UTC\)/);
  });
});
