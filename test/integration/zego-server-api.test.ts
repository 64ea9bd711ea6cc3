import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { askZego } from '../../lib/reconcile/ask-zego';
import { taskIdForms } from '../../lib/reconcile/task-id-forms';
import { getMixTaskInfo, type ServerApiOptions } from '../../lib/zego-server-api/get-mix-task-info';
import { type FakeZegoServerApi, startFakeZegoServerApi } from '../../tools/zego-fake/server-api';

/** Obviously fake: no real ServerSecret appears in this repository. */
const SECRET = 'fixture-server-secret-not-real';
const APP = '111111';
const OTHER_APP = '222222';
const T0 = 1_800_000_000_000;
const MINUTE = 60_000;

let fake: FakeZegoServerApi;
let fakeClock = T0;
beforeAll(async () => {
  fake = await startFakeZegoServerApi({
    apps: { [APP]: SECRET, [OTHER_APP]: 'another-fixture-secret' },
    now: () => fakeClock,
  });
});
afterAll(() => fake?.stop());
afterEach(() => {
  fake.setFault('none');
  fakeClock = T0;
});

const client = (overrides: Partial<ServerApiOptions> = {}): ServerApiOptions => ({
  endpoint: fake.url,
  appId: APP,
  serverSecret: SECRET,
  timeoutMs: 2_000,
  now: () => fakeClock,
  ...overrides,
});
const ask = (taskId: string, overrides: Partial<ServerApiOptions> = {}) =>
  getMixTaskInfo(taskId, client(overrides));

let unique = 0;
const newTaskId = () => `task-${++unique}`;

describe('GetMixTaskInfo against the local fake of ZEGO', () => {
  it('answers running, with the seconds since the start, for a started mix', async () => {
    const taskId = newTaskId();
    fake.startMix(APP, taskId);
    fakeClock += 13_400;
    expect(await ask(taskId)).toEqual({ state: 'running', mixDurationSeconds: 13 });
  });

  it('answers not_found once the mix is stopped, or killed, and for a task it never saw', async () => {
    const stopped = newTaskId();
    const killed = newTaskId();
    fake.startMix(APP, stopped);
    fake.startMix(APP, killed);
    fake.stopMix(APP, stopped);
    fake.killMix(APP, killed);
    expect(await ask(stopped)).toEqual({ state: 'not_found' });
    expect(await ask(killed)).toEqual({ state: 'not_found' });
    expect(await ask(newTaskId())).toEqual({ state: 'not_found' });
  });

  it('knows a task by its exact id within its app', async () => {
    const taskId = newTaskId();
    fake.startMix(APP, taskId);
    expect(await ask(`${APP}:${taskId}`)).toEqual({ state: 'not_found' });
    expect(await ask(taskId, { appId: OTHER_APP, serverSecret: 'another-fixture-secret' })).toEqual({
      state: 'not_found',
    });
    expect(await ask(taskId)).toMatchObject({ state: 'running' });
  });

  it('finds a mix under either task-id form, and declares it ended only when every form is gone', async () => {
    const taskId = newTaskId();
    fake.startMix(APP, taskId);
    const before = fake.requests().length;
    const lookup = (_appid: string, id: string) => ask(id);
    expect(await askZego({ appid: APP, task_id: `${APP}:${taskId}` }, { lookup })).toEqual({
      state: 'running',
    });
    fake.killMix(APP, taskId);
    expect(await askZego({ appid: APP, task_id: `${APP}:${taskId}` }, { lookup })).toEqual({
      state: 'ended',
    });
    expect(
      fake
        .requests()
        .slice(before)
        .map((r) => r.taskId),
    ).toEqual([`${APP}:${taskId}`, taskId, `${APP}:${taskId}`, taskId]);
  });

  it('is unknown/signature with a wrong ServerSecret or an appid ZEGO does not know', async () => {
    expect(await ask(newTaskId(), { serverSecret: 'wrong-fixture-secret' })).toMatchObject({
      state: 'unknown',
      reason: 'signature',
      code: 100000005,
    });
    expect(await ask(newTaskId(), { appId: '333333' })).toMatchObject({
      state: 'unknown',
      reason: 'signature',
      code: 100000005,
    });
  });

  it('is unknown/signature (expired) with a clock 20 minutes off either way, accepted at 9', async () => {
    const taskId = newTaskId();
    fake.startMix(APP, taskId);
    for (const offset of [-20 * MINUTE, 20 * MINUTE]) {
      expect(await ask(taskId, { now: () => T0 + offset })).toMatchObject({
        state: 'unknown',
        reason: 'signature',
        code: 100000004,
      });
    }
    for (const offset of [-9 * MINUTE, 9 * MINUTE]) {
      expect(await ask(taskId, { now: () => T0 + offset })).toMatchObject({ state: 'running' });
    }
  });

  it.each([
    { fault: 'throttle', result: { state: 'unknown', reason: 'throttled', code: 110200194 } },
    { fault: 'retry', result: { state: 'unknown', reason: 'retry', code: 110200001 } },
    { fault: 'http500', result: { state: 'unknown', reason: 'http_status', detail: 'HTTP 500' } },
    { fault: 'garbage', result: { state: 'unknown', reason: 'malformed' } },
  ] as const)(
    'is $result.reason, never not_found, when the fake is in fault mode $fault',
    async ({ fault, result }) => {
      const taskId = newTaskId();
      fake.setFault(fault);
      expect(await ask(taskId)).toMatchObject(result);
      fake.setFault('none');
      expect(await ask(taskId)).toEqual({ state: 'not_found' });
    },
  );

  it.each([
    {
      fault: 'redirect',
      result: {
        state: 'unknown',
        reason: 'http_status',
        detail: expect.stringMatching(/^HTTP 302, a redirect to 127\.0\.0\.1:\d+: not followed$/),
      },
    },
    {
      fault: 'oversized',
      result: { state: 'unknown', reason: 'malformed', detail: 'the answer is over 65536 bytes' },
    },
    {
      fault: 'duplicateCode',
      result: {
        state: 'unknown',
        reason: 'malformed',
        detail: 'the answer gives "Code" twice, with different values',
      },
    },
  ] as const)('is $result.reason, asking once, when the fake answers $fault', async ({ fault, result }) => {
    const taskId = newTaskId();
    fake.startMix(APP, taskId);
    fake.setFault(fault);
    const before = fake.requests().length;
    const started = performance.now();
    expect(await ask(taskId)).toEqual(result);
    expect(performance.now() - started).toBeLessThan(1_500);
    // A redirect followed would ask again, signature and all; the fake points back at itself.
    expect(
      fake
        .requests()
        .slice(before)
        .map((r) => r.taskId),
    ).toEqual([taskId]);
    fake.setFault('none');
    expect(await ask(taskId)).toMatchObject({ state: 'running' });
  });

  it('is unknown/timeout when the fake hangs, within the timeout', async () => {
    fake.setFault('hang');
    const started = performance.now();
    expect(await ask(newTaskId(), { timeoutMs: 200 })).toEqual({
      state: 'unknown',
      reason: 'timeout',
      detail: 'no answer within 200 ms',
    });
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it('tells ended, running and unknown apart across both id forms', async () => {
    const [alive, dead, bare] = [newTaskId(), newTaskId(), newTaskId()];
    fake.startMix(APP, alive);
    fake.startMix(APP, dead);
    fake.killMix(APP, dead);
    const answers = await Promise.all(
      [
        { appid: APP, task_id: `${APP}:${alive}` },
        { appid: APP, task_id: `${APP}:${dead}` },
        { appid: APP, task_id: bare },
        { appid: '333333', task_id: `333333:${alive}` },
      ].map((task) => askZego(task, { lookup: (appid, taskId) => ask(taskId, { appId: appid }) })),
    );
    expect(answers).toMatchObject([
      { state: 'running' },
      { state: 'ended' },
      { state: 'ended' },
      { state: 'unknown', reason: 'signature' },
    ]);
  });
});

describe('task ids with percent-escapes', () => {
  /** askZego against the fake, each form asked through the real client. */
  const answer = (task_id: string) =>
    askZego({ appid: APP, task_id }, { lookup: (_appid, taskId) => ask(taskId) });

  it('finds a mix ZEGO knows under a %41-holding id, sent as sent or percent-encoded, and does not end it', async () => {
    const id = `${newTaskId()}-p%41`;
    fake.startMix(APP, id);
    for (const asSent of [
      `${APP}:${id}`,
      `${APP}:${encodeURIComponent(id)}`,
      encodeURIComponent(`${APP}:${id}`),
    ]) {
      expect(await answer(asSent)).toEqual({ state: 'running' });
    }
  });

  it('finds a mix ZEGO knows under the decoded id when the callback carried it encoded', async () => {
    const id = `${newTaskId()} room/1`;
    fake.startMix(APP, id);
    expect(await answer(`${APP}:${encodeURIComponent(id)}`)).toEqual({ state: 'running' });
  });

  it('ends a task only once all four forms are asked, each reaching ZEGO exactly as formed', async () => {
    const taskId = `${APP}:${newTaskId()}-p%41`;
    const before = fake.requests().length;
    expect(await answer(taskId)).toEqual({ state: 'ended' });
    const asked = fake
      .requests()
      .slice(before)
      .map((r) => r.taskId);
    expect(asked).toEqual(taskIdForms(APP, taskId));
    expect(asked).toHaveLength(4);
  });

  it('asks nothing about a task id too long to ask, and never ends it', async () => {
    const taskId = `${APP}:${'x'.repeat(2_000)}`;
    const before = fake.requests().length;
    expect(await answer(taskId)).toMatchObject({ state: 'unaskable' });
    expect(fake.requests().slice(before)).toEqual([]);
  });
});

describe('the fake checks requests as ZEGO documents', () => {
  const rawAsk = async (query: Record<string, string>) =>
    (await (await fetch(`${fake.url}/?${new URLSearchParams(query)}`)).json()) as { Code: number };

  it('answers 110200004 to a request missing common parameters, or with a malformed nonce', async () => {
    expect(await rawAsk({ Action: 'GetMixTaskInfo', TaskId: 'x' })).toMatchObject({ Code: 110200004 });
    const good = new URL(await signedUrl('x'));
    const query = Object.fromEntries(good.searchParams);
    expect(await rawAsk({ ...query, SignatureNonce: 'not-hex-at-all!!' })).toMatchObject({ Code: 110200004 });
    expect(await rawAsk({ ...query, Signature: '0'.repeat(32) })).toMatchObject({ Code: 100000005 });
    expect(await rawAsk(query)).toMatchObject({ Code: 110209001 });
  });

  /** The URL the real client sends, captured by a fetch that does not send it. */
  async function signedUrl(taskId: string): Promise<string> {
    let sent = '';
    await getMixTaskInfo(
      taskId,
      client({
        fetch: (async (input: string | URL | Request) => {
          sent = String(input);
          return new Response('{"Code":110209001}');
        }) as typeof fetch,
      }),
    );
    return sent;
  }
});

describe('the fake control interface', () => {
  const post = (body: string) => fetch(`${fake.url}/_fake/mixes`, { method: 'POST', body });

  it('starts, stops and kills mixes for another process', async () => {
    const [a, b] = [newTaskId(), newTaskId()];
    expect((await post(JSON.stringify({ action: 'start', appid: APP, task_id: a }))).status).toBe(204);
    expect((await post(JSON.stringify({ action: 'start', appid: APP, task_id: b }))).status).toBe(204);
    expect(await ask(a)).toMatchObject({ state: 'running' });
    expect((await post(JSON.stringify({ action: 'stop', appid: APP, task_id: a }))).status).toBe(204);
    expect((await post(JSON.stringify({ action: 'kill', appid: APP, task_id: b }))).status).toBe(204);
    expect(await ask(a)).toEqual({ state: 'not_found' });
    expect(await ask(b)).toEqual({ state: 'not_found' });
  });

  it.each([
    { name: 'a body that is not JSON', body: 'start 111111 x' },
    { name: 'an unknown action', body: JSON.stringify({ action: 'pause', appid: APP, task_id: 'x' }) },
    { name: 'an unknown appid', body: JSON.stringify({ action: 'start', appid: '999', task_id: 'x' }) },
    { name: 'a missing task_id', body: JSON.stringify({ action: 'start', appid: APP }) },
  ])('answers 400 to $name', async ({ body }) => {
    expect((await post(body)).status).toBe(400);
  });

  it('binds loopback only', async () => {
    await expect(startFakeZegoServerApi({ host: '0.0.0.0', apps: {} })).rejects.toThrow(/loopback/);
    expect(new URL(fake.url).hostname).toBe('127.0.0.1');
  });
});
