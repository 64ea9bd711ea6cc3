import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MixTask } from '../../lib/store/task-item';
import { getTask } from '../../lib/store/task-reads';
import { LOCAL_DEV_SECRET } from '../../tools/local-stack/defaults';
import { localCredentials } from '../../tools/local-stack/engines';
import type { PipelineInfo } from '../../tools/local-stack/pipeline';
import { queueDepth } from '../../tools/local-stack/queue-depth';
import { buildCallback, encodeCallback } from '../../tools/zego-fake/callbacks';
import { postCallback } from '../../tools/zego-fake/delivery';
import { driveFakeMix } from '../../tools/zego-fake/server-api';
import { startNpmStart } from '../support/npm-start';

// `npm start` as a user runs it, in a process group of its own, on free ports; ZEGO played by the
// CLI's code over HTTP; stopped with Ctrl-C (SIGINT to the group) at the end, even after a failure.
let started: Awaited<ReturnType<typeof startNpmStart>>;
let info: PipelineInfo;
let dynamo: DynamoDBClient;
let sqs: SQSClient;
const output = () => started.output();
const zego = (...args: string[]) => started.zego(...args);

beforeAll(async () => {
  started = await startNpmStart([], {
    ZEGO_CALLBACK_SECRET: '',
    PORT: '0',
    SQS_PORT: '0',
    DYNAMODB_PORT: '0',
    ZEGO_API_PORT: '0',
  });
  info = started.info;
  const aws = { region: info.region, credentials: localCredentials };
  dynamo = new DynamoDBClient({ ...aws, endpoint: info.dynamoEndpoint });
  sqs = new SQSClient({ ...aws, endpoint: info.sqsEndpoint, useQueueUrlAsEndpoint: false });
}, 60_000);

afterAll(async () => {
  dynamo?.destroy();
  sqs?.destroy();
  started?.kill();
});

const seqs = { next: Date.now() };
const seq = () => String(++seqs.next);

async function send(
  event: 'mix_start' | 'mix_stop',
  taskId: string,
  s: string,
  encoding: 'json' | 'form' | 'percent-json' = 'json',
  secret = LOCAL_DEV_SECRET,
) {
  const fields = buildCallback({ event, appid: '111111', taskId, seq: s, secret, room: `room-${taskId}` });
  const { body, contentType } = encodeCallback(fields, encoding);
  const attempt = await postCallback(info.callbackUrl, body, contentType);
  // ZEGO's side knows the mix runs (or ended), as it would: the local check reconciles against it.
  if (attempt.status === 200)
    await driveFakeMix(info.zegoApiUrl ?? '', event === 'mix_start' ? 'start' : 'stop', '111111', taskId);
  return attempt;
}

function taskWhen(taskId: string, done: (task: MixTask) => boolean): Promise<MixTask> {
  return vi.waitFor(
    async () => {
      const task = await getTask('111111', taskId, { tableName: info.tasksTable, client: dynamo });
      if (!task || !done(task)) throw new Error(`task ${taskId} is ${JSON.stringify(task)}`);
      return task;
    },
    { timeout: 20_000, interval: 100 },
  );
}

describe('npm start, driven like ZEGO', () => {
  it('prints the URL, the development secret and how to send a callback', () => {
    expect(output()).toContain(info.callbackUrl);
    expect(output()).toContain(LOCAL_DEV_SECRET);
    // This run sets ZEGO_CALLBACK_SECRET to '': said, not silently replaced.
    expect(output()).toContain('ZEGO_CALLBACK_SECRET is set but empty, so not used');
    expect(output()).toContain('npx zego send --task demo-1');
  });

  it('takes a start and a stop in each encoding and ends with the task stopped', async () => {
    for (const encoding of ['json', 'form', 'percent-json'] as const) {
      const taskId = `enc-${encoding}`;
      expect((await send('mix_start', taskId, seq(), encoding)).status).toBe(200);
      expect((await send('mix_stop', taskId, seq(), encoding)).status).toBe(200);
      const task = await taskWhen(taskId, (t) => t.status === 'stopped');
      expect(task).toMatchObject({
        channel_id: `room-${taskId}`,
        startedAt: expect.any(Number),
        stoppedAt: expect.any(Number),
      });
    }
  });

  it('applies a callback sent three times once', async () => {
    const s = seq();
    for (let i = 0; i < 3; i++) expect((await send('mix_stop', 'dup', s)).status).toBe(200);
    expect(await taskWhen('dup', (t) => t.status === 'stopped')).toMatchObject({ seq: s });
    expect(output().match(new RegExp(`callback processed .*seq=${s} `, 'g'))).toHaveLength(1);
  });

  it('keeps a task stopped when its start arrives after its stop', async () => {
    const [start, stop] = [seq(), seq()];
    await send('mix_stop', 'late-start', stop);
    await send('mix_start', 'late-start', start);
    await taskWhen('late-start', (t) => t.status === 'stopped');
    await sleep(1_500);
    expect(await taskWhen('late-start', () => true)).toMatchObject({ status: 'stopped', seq: stop });
    expect(output()).toMatch(new RegExp(`callback stale .*seq=${start} `));
  });

  it('refuses a callback signed with another secret and queues nothing for it', async () => {
    const attempt = await send('mix_stop', 'forged', seq(), 'json', 'not-the-secret');
    expect(attempt.status).toBe(401);
    expect(JSON.parse(attempt.body ?? '{}').error).toBe('bad_signature');
    expect(await getTask('111111', 'forged', { tableName: info.tasksTable, client: dynamo })).toBeUndefined();
  });

  it('keeps a body refused for a used signature, lists it, and replays it when the operator says so', async () => {
    // An attacker got the genuine start's signature first: it is bound to their body.
    const [genuineSeq, forgedSeq] = [seq(), seq()];
    const genuine = buildCallback({
      event: 'mix_start',
      appid: '111111',
      taskId: 'pre-empted',
      seq: genuineSeq,
      secret: LOCAL_DEV_SECRET,
    });
    const forged = { ...genuine, seq: forgedSeq, task_id: 'attacker-task' };
    const post = (fields: Record<string, unknown>) => {
      const { body, contentType } = encodeCallback(fields, 'json');
      return postCallback(info.callbackUrl, body, contentType);
    };
    expect((await post(forged)).status).toBe(200);
    const refused = await post(genuine);
    expect(refused.status).toBe(401);
    await driveFakeMix(info.zegoApiUrl ?? '', 'start', '111111', 'pre-empted'); // ZEGO runs the genuine mix
    expect(JSON.parse(refused.body ?? '{}').error).toBe('signature_reused');
    const listed = await zego('dlq', 'refused', '--json');
    const entry = listed.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
      .find((m) => m.callback?.task_id === 'pre-empted');
    expect(entry).toMatchObject({
      callback: { seq: genuineSeq },
      why: expect.stringMatching(/^signature_reused: /),
    });
    expect(entry.hashes.bodyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(listed.stdout).not.toContain(String(genuine.signature));
    expect((await zego('dlq', 'replay', entry.messageId)).stdout).toContain(`replayed ${entry.messageId}`);
    expect(await taskWhen('pre-empted', (t) => t.status === 'running')).toMatchObject({ seq: genuineSeq });
  });

  it('keeps a task id holding a percent escape as sent, and never stops such a mix that ZEGO still runs', async () => {
    // `f%41` goes over the wire as `f%2541` in a form, as itself in JSON: decoded once, never twice.
    for (const [taskId, encoding] of [
      ['pct-form-f%41', 'form'],
      ['pct-json-f%41', 'json'],
    ] as const) {
      expect((await send('mix_start', taskId, seq(), encoding)).status).toBe(200);
      expect(await taskWhen(taskId, (t) => t.status === 'running')).toMatchObject({ task_id: taskId });
      const decoded = taskId.replace('%41', 'A');
      expect(
        await getTask('111111', decoded, { tableName: info.tasksTable, client: dynamo }),
      ).toBeUndefined();
    }
    // Past the local check's first look (15 s): it asks ZEGO's (fake) API, which runs both mixes.
    await sleep(22_000);
    for (const taskId of ['pct-form-f%41', 'pct-json-f%41']) {
      expect(await taskWhen(taskId, () => true)).toMatchObject({ status: 'running' });
    }
    expect(output()).not.toMatch(/inferred by reconciliation[^\n]*pct-/);
  }, 60_000);

  it('applies two tasks that reuse a seq', async () => {
    const s = seq();
    expect((await send('mix_start', 'reuse-a', s)).status).toBe(200);
    expect((await send('mix_start', 'reuse-b', s)).status).toBe(200);
    await taskWhen('reuse-a', (t) => t.status === 'running');
    await taskWhen('reuse-b', (t) => t.status === 'running');
    // The consumer logs after it writes the task: the second line may follow the table by a moment.
    await vi.waitFor(() =>
      expect(output().match(new RegExp(`callback processed .*seq=${s} `, 'g'))).toHaveLength(2),
    );
  });

  it('prints what a caller sent escaped, in its log and through the CLI', async () => {
    const hostile = 'room\u001b[2J\u0007\u202eevil';
    const { stdout } = await zego('send', '--task', 'hostile', '--seq', seq(), '--room', hostile);
    expect(stdout).toContain('200');
    await taskWhen('hostile', (t) => t.status === 'stopped');
    const shown = [(await zego('tasks')).stdout, (await zego('task', 'hostile')).stdout, output()].join('\n');
    expect(shown).toContain('room\\u001b[2J\\u0007\\u202eevil');
    expect([...shown].some((char) => (char < ' ' && char !== '\n') || char === '\u202e')).toBe(false);
  });

  it('calls each hook once per run: stops sent twice, a stop reusing its start’s seq, a second start', async () => {
    const hooksOf = (taskId: string) => {
      const lines = output()
        .split('\n')
        .filter((line) => line.split(' ').includes(`task_id=${taskId}`));
      const count = (message: RegExp) => lines.filter((line) => message.test(line)).length;
      return {
        started: count(/ mix started /),
        updated: count(/ mix updated /),
        stopped: count(/ mix stopped /),
        inferred: count(/ mix stopped \(inferred/),
      };
    };
    const [a, b, c] = [seq(), seq(), seq()];
    // StopMix called twice: two mix_stops with their own seqs, the second sent three times.
    await send('mix_start', 'stop-twice', a);
    await send('mix_stop', 'stop-twice', b);
    for (let i = 0; i < 3; i++) await send('mix_stop', 'stop-twice', c);
    // A caller that reuses its Sequence for the stop.
    const same = seq();
    await send('mix_start', 'same-seq', same);
    await send('mix_stop', 'same-seq', same);
    // StartMix on a running task updates the mix.
    const [u1, u2] = [seq(), seq()];
    await send('mix_start', 'updated', u1);
    await send('mix_start', 'updated', u2);
    // A mix that dies on ZEGO's side: once the check has stopped it, it has looked at every task.
    await zego('send', '--task', 'control', '--event', 'start', '--seq', seq());
    await zego('kill-mix', 'control');

    await taskWhen('stop-twice', (t) => t.seq === c);
    await taskWhen('same-seq', (t) => t.status === 'stopped');
    await taskWhen('updated', (t) => t.seq === u2);
    await vi.waitFor(() => expect(hooksOf('control').inferred).toBe(1), { timeout: 40_000, interval: 250 });

    expect(hooksOf('stop-twice')).toEqual({ started: 1, updated: 0, stopped: 1, inferred: 0 });
    expect(hooksOf('same-seq')).toEqual({ started: 1, updated: 0, stopped: 1, inferred: 0 });
    expect(hooksOf('updated')).toEqual({ started: 1, updated: 1, stopped: 0, inferred: 0 });
    expect(await taskWhen('stop-twice', () => true)).toMatchObject({ status: 'stopped', stopSeq: b });
    expect(await taskWhen('updated', () => true)).toMatchObject({
      status: 'running',
      runId: `111111:updated:${u1}`,
      startSeq: u1,
    });
  }, 60_000);

  it('stops a mix that died with no mix_stop, once the check has asked ZEGO, calling the hook once', async () => {
    await zego('send', '--task', 'killed', '--event', 'start', '--seq', seq());
    const { stdout } = await zego('kill-mix', 'killed');
    expect(stdout).toContain('mix killed (appid 111111) ended without a mix_stop');
    await expect(zego('kill-mix', 'never-started')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining(
        'zego kill-mix: no running task never-started (appid 111111) in the local stack: `zego send --event start --task never-started` starts one',
      ),
    });
    const task = await vi.waitFor(
      async () => {
        const found = await getTask('111111', 'killed', { tableName: info.tasksTable, client: dynamo });
        if (found?.status !== 'stopped') throw new Error(`task killed is ${JSON.stringify(found)}`);
        return found;
      },
      { timeout: 40_000, interval: 250 },
    );
    expect(task).toMatchObject({ stoppedBy: 'reconciliation', reconciledAt: expect.any(String) });
    expect((await zego('task', 'killed')).stdout).toMatch(/stoppedBy\s+reconciliation/);
    const inferred = /mix stopped \(inferred by reconciliation\) .*task_id=killed( |$)/gm;
    await vi.waitFor(() => expect(output()).toMatch(inferred), { timeout: 5_000 });
    expect(output().match(inferred)).toHaveLength(1);
  }, 60_000);

  it('publishes each run’s events to its stand-in of the bus, prints each, and lists them with zego events', async () => {
    const start = seq();
    await zego('send', '--task', 'evented', '--event', 'start', '--seq', start, '--repeat', '2');
    await zego('send', '--task', 'evented', '--seq', seq(), '--repeat', '2');
    await zego('send', '--task', 'evented', '--seq', seq()); // StopMix again: recorded, no event
    await taskWhen('evented', (task) => task.status === 'stopped');
    const listed = async () =>
      (await zego('events', '--task', 'evented', '--json')).stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map(
          (line) =>
            JSON.parse(line) as { 'detail-type': string; source: string; detail: Record<string, unknown> },
        );
    await vi.waitFor(async () => expect((await listed()).length).toBeGreaterThanOrEqual(2), {
      timeout: 20_000,
    });
    const events = await listed();
    expect(events.map((e) => e['detail-type'])).toEqual(['Mix Started', 'Mix Stopped']);
    expect(events.every((e) => e.source === 'zego-mix-callbacks')).toBe(true);
    expect(events.map((e) => e.detail.runId)).toEqual([`111111:evented:${start}`, `111111:evented:${start}`]);
    expect(JSON.stringify(events)).not.toMatch(/signature/);

    const table = (await zego('events', '--task', 'evented')).stdout;
    expect(table).toMatch(/^TIME \(UTC\)\s+DETAIL-TYPE\s+TASK\s+RUN\s+EVENT ID$/m);
    expect(table).toMatch(
      new RegExp(`Mix Started\\s+evented\\s+111111:evented:${start}\\s+111111:evented:mix_start:${start}`),
    );
    expect((await zego('events')).stdout).toContain('Mix Stopped');
    expect((await zego('events', '--task', 'never-sent')).stdout).toContain(
      'no events of task never-sent yet',
    );
    // npm start's log shows each event as the bus took it.
    expect(output()).toMatch(/ bus +Mix Started +appid=111111 task_id=evented runId=/);
    expect(output()).toMatch(/ bus +Mix Stopped +appid=111111 task_id=evented runId=/);
    await expect(zego('events', '--stage', 'prod')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining("zego events: reads only npm start's local stand-in of the bus"),
    });
  });

  it('passes the smoke test, which leaves nothing behind and calls no hook', async () => {
    const count = async (TableName: string) =>
      (await dynamo.send(new ScanCommand({ TableName, Select: 'COUNT' }))).Count;
    const tables = [info.idempotencyTable, info.signaturesTable];
    const before = await Promise.all(tables.map(count));
    const { stdout } = await zego('smoke', '--timeout-ms', '20000');
    expect(await Promise.all(tables.map(count))).toEqual(before);
    expect(stdout).toMatch(/passed: callbacks in, task stopped in the tasks table after \d+ ms/);
    const taskId = /task (zego-smoke-\S+),/.exec(stdout)?.[1] ?? '';
    expect(await getTask('111111', taskId, { tableName: info.tasksTable, client: dynamo })).toBeUndefined();
    expect(output()).toMatch(new RegExp(`smoke test callback recorded; no hook .*task_id=${taskId}`));
    expect(output()).not.toMatch(new RegExp(`mix (started|stopped) .*task_id=${taskId}`));
  });

  it('shows the tasks through the CLI, and leaves nothing in the queue or the DLQ', async () => {
    const { stdout } = await zego('send', '--task', 'via-cli', '--seq', seq(), '--repeat', '2');
    expect(stdout).toMatch(/#2 {2}200/);
    expect(stdout).toContain(
      "the endpoint took it 2 times; the queue kept one (SQS de-duplicates by the callback's identity: appid, task_id, event, seq) and the consumer applies it once",
    );
    await taskWhen('via-cli', (t) => t.status === 'stopped');
    const listed = (await zego('tasks', '--json')).stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(Object.fromEntries(listed.map((t) => [t.task_id, t.status]))).toEqual({
      'enc-json': 'stopped',
      'enc-form': 'stopped',
      'enc-percent-json': 'stopped',
      dup: 'stopped',
      'late-start': 'stopped',
      'reuse-a': 'running',
      'reuse-b': 'running',
      // ZEGO never ran it: the local check stops it once it has asked (timing decides which we see).
      'attacker-task': expect.stringMatching(/^(running|stopped)$/),
      'pre-empted': 'running',
      'pct-form-f%41': 'running',
      'pct-json-f%41': 'running',
      hostile: 'stopped',
      'via-cli': 'stopped',
      killed: 'stopped',
      'stop-twice': 'stopped',
      'same-seq': 'stopped',
      updated: 'running',
      control: 'stopped',
      evented: 'stopped',
    });
    expect(await queueDepth(sqs, info.queueUrl)).toBe(0);
    expect(await queueDepth(sqs, info.deadLetterQueueUrl)).toBe(0);
    expect(await queueDepth(sqs, info.refusedQueueUrl)).toBe(0);
    expect((await zego('dlq')).stdout).toContain('0 callback(s) in the dead-letter queue');
  });

  it('stops everything on Ctrl-C', async () => {
    process.kill(-started.pid, 'SIGINT'); // what a terminal does: the signal goes to the whole group
    const deadline = Date.now() + 10_000;
    while (started.alive() && Date.now() < deadline) await sleep(50);
    expect(started.alive()).toBe(false);
    expect(output()).toContain('SIGINT: stopping');
    expect(existsSync(started.stateFile)).toBe(false);
    const after = await postCallback(info.callbackUrl, '{}', 'application/json', 1_000);
    expect(after.status).toBeUndefined();
    expect(after.error).toMatch(/connection refused/);
  });
});
