import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Hooks } from '../../lib/hook-contract';
import { prepareReconciliation } from '../../lib/queue/enqueue';
import { parseQueuedCallback, type QueuedMixStart, type QueuedMixStop } from '../../lib/queue/message';
import { decide, type RunEvent, runIdOf } from '../../lib/run-life';
import { applyMixEvent } from '../../lib/store/apply-mix-event';
import { applyReconciliation } from '../../lib/store/check-writes';
import type { MixTask } from '../../lib/store/task-item';
import { getTask } from '../../lib/store/task-reads';
import { sqsFifoRecord } from '../../tools/aws-events/sqs';
import { pollOnce } from '../../tools/local-stack/event-source-mapping';
import { lambdaContext } from '../../tools/local-stack/lambda-context';
import { queueDepth } from '../../tools/local-stack/queue-depth';
import { apiGatewayEvent, encode, signedCallback, signedMixStart } from '../support/callbacks';
import { consumerHandler, ingestHandler, type LocalStack, startLocalStack } from '../support/local-stack';
import { capturedLogger } from '../support/logs';
import { queuedBody, sqsEvent, sqsRecord } from '../support/messages';

// A mix run's life (lib/run-life.ts) on DynamoDB Local: the task store makes the transitions the
// table says, and the real handlers call each hook once per run whatever ZEGO repeats.
let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({ VisibilityTimeout: '1' });
});
afterAll(() => stack?.stop());

const APPID = '111111';
const store = () => ({
  tableName: stack.tables.tasks,
  stoppedRetentionSeconds: 3_600,
  client: stack.clients.dynamo,
});
const task = (taskId: string) => getTask(APPID, taskId, store());
let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}`;
const now = () => String(Math.floor(Date.now() / 1000));

const stop = (taskId: string, seq: string) =>
  parseQueuedCallback(queuedBody(signedCallback({ task_id: taskId, seq }))).callback as QueuedMixStop;
const start = (taskId: string, seq: string) =>
  parseQueuedCallback(queuedBody(signedMixStart({ task_id: taskId, seq }))).callback as QueuedMixStart;
const CHECKED_AT = '2026-12-01T10:00:00.000Z';

/** Each state the run's life knows, built with the store's own writes (or, for legacy items, by hand). */
const STATES: Record<string, (taskId: string) => Promise<unknown>> = {
  absent: async () => {},
  running: (id) => applyMixEvent(start(id, '10'), 'r', store()),
  'running, updated': async (id) => {
    await applyMixEvent(start(id, '10'), 'r', store());
    await applyMixEvent(start(id, '12'), 'r', store());
  },
  'stopped by its mix_stop': async (id) => {
    await applyMixEvent(start(id, '10'), 'r', store());
    await applyMixEvent(stop(id, '12'), 'r', store());
  },
  'stopped before it started': (id) => applyMixEvent(stop(id, '12'), 'r', store()),
  'stopped, then stopped again': async (id) => {
    await applyMixEvent(start(id, '10'), 'r', store());
    await applyMixEvent(stop(id, '11'), 'r', store());
    await applyMixEvent(stop(id, '12'), 'r', store());
  },
  'stopped by reconciliation': async (id) => {
    await applyMixEvent(start(id, '12'), 'r', store());
    await applyReconciliation({ appid: APPID, task_id: id, seq: '12', checkedAt: CHECKED_AT }, store());
  },
  'running, written before run ids': (id) => putLegacy(id, { status: 'running', seq: 12, runningSince: 1 }),
  'stopped, written before run ids': (id) =>
    putLegacy(id, { status: 'stopped', seq: 12, stoppedBy: 'callback' }),
};

const EVENTS: RunEvent[] = [
  ...['9', '10', '11', '12', '13'].flatMap((seq) => [
    { kind: 'mix_start' as const, seq },
    { kind: 'mix_stop' as const, seq },
  ]),
  { kind: 'reconciliation', seq: '12', checkedAt: CHECKED_AT },
  { kind: 'reconciliation', seq: '12', checkedAt: '2026-12-01T11:00:00.000Z' },
  { kind: 'reconciliation', seq: '10', checkedAt: CHECKED_AT },
];

async function putLegacy(taskId: string, fields: Record<string, unknown>) {
  await stack.clients.dynamo.send(
    new PutItemCommand({
      TableName: stack.tables.tasks,
      Item: marshall({ appid: APPID, task_id: taskId, updatedAt: 'before', ...fields }),
    }),
  );
}

function apply(taskId: string, event: RunEvent) {
  if (event.kind === 'reconciliation')
    return applyReconciliation({ appid: APPID, task_id: taskId, ...event }, store());
  return applyMixEvent((event.kind === 'mix_start' ? start : stop)(taskId, event.seq), 'now', store());
}

/** What the task must look like after the step `decide` chose, given the task before it. */
function expectedAfter(
  before: MixTask | undefined,
  taskId: string,
  event: RunEvent,
  transition: string,
  repeat: boolean,
) {
  if (transition === 'stale' || repeat) return before;
  const mixSeq = event.kind === 'reconciliation' ? undefined : event.seq;
  switch (transition) {
    case 'run_started':
      return {
        status: 'running',
        seq: mixSeq,
        runId: runIdOf(APPID, taskId, event.seq),
        startSeq: event.seq,
      };
    case 'run_updated':
      return { status: 'running', seq: mixSeq, runId: before?.runId, startSeq: before?.startSeq };
    case 'run_stopped':
      return event.kind === 'reconciliation'
        ? { status: 'stopped', seq: before?.seq, runId: before?.runId, stoppedBy: 'reconciliation' }
        : {
            status: 'stopped',
            seq: mixSeq,
            runId: before?.runId ?? runIdOf(APPID, taskId, event.seq),
            stopSeq: mixSeq,
            stoppedBy: 'callback',
          };
    default: // stop_recorded: the run's stop stays
      return {
        status: 'stopped',
        seq: mixSeq,
        runId: before?.runId,
        stopSeq: before?.stopSeq,
        stoppedBy: before?.stoppedBy,
      };
  }
}

describe('the task store follows the run’s life on DynamoDB Local', () => {
  const cases = Object.keys(STATES).flatMap((state) => EVENTS.map((event) => [state, event] as const));

  it(`makes the transition lib/run-life.ts decides, for each of ${cases.length} states and events`, async () => {
    const mismatches: unknown[] = [];
    const seen = new Set<string>();
    // A few at a time: the client's connect timeout is the functions' own (short).
    for (let first = 0; first < cases.length; first += 8) {
      await Promise.all(
        cases.slice(first, first + 8).map(async ([state, event], offset) => {
          const index = first + offset;
          const taskId = `grid-${index}`;
          await STATES[state]?.(taskId);
          const before = await task(taskId);
          const { transition, repeat } = decide(before, event);
          seen.add(`${transition}${repeat ? ' (repeat)' : ''}`);
          const result = await apply(taskId, event);
          const outcome = transition === 'stale' ? 'stale' : repeat ? 'already_applied' : 'applied';
          const after = await task(taskId);
          const want = expectedAfter(before, taskId, event, transition, repeat);
          const got = {
            outcome: result.outcome,
            transition: result.transition,
            after: after && pick(after, want),
          };
          const expected = { outcome, transition, after: want };
          if (JSON.stringify(got) !== JSON.stringify(expected))
            mismatches.push({ state, event, got, expected });
        }),
      );
    }
    expect(mismatches).toEqual([]);
    // The grid reaches every row of the table.
    expect([...seen].sort()).toEqual([
      'run_started',
      'run_started (repeat)',
      'run_stopped',
      'run_stopped (repeat)',
      'run_updated',
      'run_updated (repeat)',
      'stale',
      'stop_recorded',
    ]);
  });
});

/** The fields of `task` that `want` names, in want's order (undefined ones left out, as JSON does). */
function pick(task: MixTask, want: object | undefined): object {
  return Object.fromEntries(Object.keys(want ?? task).map((key) => [key, task[key as keyof MixTask]]));
}

describe('hooks once per run, through the real handlers', () => {
  const onMixStarted = vi.fn<Hooks['onMixStarted']>();
  const onMixUpdated = vi.fn<NonNullable<Hooks['onMixUpdated']>>();
  const onMixStopped = vi.fn<Hooks['onMixStopped']>();
  let ingest: ReturnType<typeof ingestHandler>;
  let consumer: ReturnType<typeof consumerHandler>;
  beforeAll(() => {
    ingest = ingestHandler(stack);
    consumer = consumerHandler(stack, { onMixStarted, onMixUpdated, onMixStopped });
  });
  afterEach(() => {
    for (const hook of [onMixStarted, onMixUpdated, onMixStopped]) hook.mockReset();
  });

  async function deliver(fields: Record<string, unknown>) {
    const result = await ingest(apiGatewayEvent(encode.json(fields)), lambdaContext('ingest'));
    expect(result.statusCode).toBe(200);
  }
  const send = (event: 'mix_start' | 'mix_stop', taskId: string, seq: string) =>
    deliver(
      (event === 'mix_start' ? signedMixStart : signedCallback)({ timestamp: now(), task_id: taskId, seq }),
    );

  async function settle() {
    const mapping = {
      sqs: stack.clients.sqs,
      queueUrl: stack.queue.url,
      queueArn: stack.queue.arn,
      region: 'us-east-1',
      handler: consumer,
      context: () => lambdaContext('consumer'),
    };
    await vi.waitFor(
      async () => {
        while ((await pollOnce(mapping)).received > 0);
        expect(await queueDepth(stack.clients.sqs, stack.queue.url)).toBe(0);
      },
      { timeout: 20_000, interval: 100 },
    );
  }

  /** Each hook's calls for a task, as the run ids they were given. */
  const calls = (taskId: string) => {
    const runsOf = (hook: { mock: { calls: [{ runId: string; task: MixTask }, ...unknown[]][] } }) =>
      hook.mock.calls.filter(([event]) => event.task.task_id === taskId).map(([event]) => event.runId);
    return { started: runsOf(onMixStarted), updated: runsOf(onMixUpdated), stopped: runsOf(onMixStopped) };
  };

  it('calls onMixStopped once for a run whose stop came twice (StopMix called twice)', async () => {
    const id = unique('twice');
    await send('mix_start', id, '10');
    await send('mix_stop', id, '11');
    await send('mix_stop', id, '12');
    await settle();
    const run = runIdOf(APPID, id, '10');
    expect(calls(id)).toEqual({ started: [run], updated: [], stopped: [run] });
    expect(await task(id)).toMatchObject({ status: 'stopped', seq: '12', runId: run, stopSeq: '11' });
  });

  it('stops a run whose mix_stop reuses its mix_start’s seq: the stop outranks the start', async () => {
    const id = unique('same-seq');
    await send('mix_start', id, '20');
    await send('mix_stop', id, '20');
    await settle();
    const run = runIdOf(APPID, id, '20');
    expect(calls(id)).toEqual({ started: [run], updated: [], stopped: [run] });
    const stopped = await task(id);
    expect(stopped).toMatchObject({ status: 'stopped', runId: run, startSeq: '20', stopSeq: '20' });
    // Off the running index: the scheduled check can never reconcile it a second time.
    expect(stopped).not.toHaveProperty('runningSince');
  });

  it('takes a second mix_start of a running task as an update: onMixStarted once, onMixUpdated once', async () => {
    const id = unique('update');
    await send('mix_start', id, '30');
    await send('mix_start', id, '31');
    await send('mix_stop', id, '32');
    await settle();
    const run = runIdOf(APPID, id, '30');
    expect(calls(id)).toEqual({ started: [run], updated: [run], stopped: [run] });
    expect(onMixUpdated.mock.calls[0]?.[0].task).toMatchObject({
      status: 'running',
      seq: '31',
      startSeq: '30',
    });
  });

  it('begins a new run with an id of its own when the task starts again after a stop', async () => {
    const id = unique('again');
    for (const [event, seq] of [
      ['mix_start', '40'],
      ['mix_stop', '41'],
      ['mix_start', '42'],
      ['mix_stop', '43'],
    ] as const)
      await send(event, id, seq);
    await settle();
    const [first, second] = [runIdOf(APPID, id, '40'), runIdOf(APPID, id, '42')];
    expect(calls(id)).toEqual({ started: [first, second], updated: [], stopped: [first, second] });
  });

  it('calls onMixStopped with the stop’s own id for a run whose mix_start never came', async () => {
    const id = unique('stop-first');
    await send('mix_stop', id, '45');
    await send('mix_start', id, '44');
    await settle();
    expect(calls(id)).toEqual({ started: [], updated: [], stopped: [runIdOf(APPID, id, '45')] });
  });

  it('logs a redriven stop that a newer run made stale with the run it came before, and calls no hook', async () => {
    const id = unique('redriven');
    const { logger, records } = capturedLogger();
    const handler = consumerHandler(stack, { onMixStarted, onMixUpdated, onMixStopped }, { logger });
    const record = (fields: Record<string, unknown>) => sqsEvent(sqsRecord(fields));
    const context = () => lambdaContext('consumer');
    await handler(record(signedMixStart({ task_id: id, seq: '50' })), context());
    // The stop is recorded, but its hook keeps failing: SQS moves it to the DLQ.
    onMixStopped.mockRejectedValueOnce(new Error('billing down'));
    const failed = await handler(record(signedCallback({ task_id: id, seq: '51' })), context());
    expect(failed.batchItemFailures).toHaveLength(1);
    // A new run starts; then the operator redrives the stop.
    await handler(record(signedMixStart({ task_id: id, seq: '52' })), context());
    const redriven = await handler(record(signedCallback({ task_id: id, seq: '51' })), context());

    expect(redriven.batchItemFailures).toEqual([]);
    expect(onMixStopped).toHaveBeenCalledTimes(1); // the failed attempt only
    const stale = records().find((line) => line.message === 'mix_stop stale, no onMixStopped from it');
    expect(stale).toMatchObject({
      seq: '51',
      transition: 'stale',
      runId: runIdOf(APPID, id, '52'),
      earlierThan: runIdOf(APPID, id, '52'),
    });
  });

  it('acknowledges a reconciliation of a task no longer in the table, and calls no hook', async () => {
    const reconciliation = { appid: APPID, task_id: unique('gone'), seq: '70', checkedAt: CHECKED_AT };
    const message = prepareReconciliation(reconciliation, Date.now());
    const record = sqsFifoRecord({
      body: message.body,
      messageId: '00000000-0000-4000-8000-00000000gone',
      groupId: message.groupId,
      deduplicationId: message.deduplicationId,
      receiveCount: 1,
    });
    const result = await consumer({ Records: [record] }, lambdaContext('consumer'));
    expect(result.batchItemFailures).toEqual([]);
    expect(onMixStopped).not.toHaveBeenCalled();
    expect(await task(reconciliation.task_id)).toBeUndefined();
  });

  it('gives a task written before run ids the id of its last start on its next callback', async () => {
    const id = unique('legacy');
    await putLegacy(id, {
      status: 'running',
      seq: 60,
      startedAt: 1_700_000_000,
      runningSince: 1_700_000_000,
    });
    await send('mix_stop', id, '61');
    await settle();
    const run = runIdOf(APPID, id, '60');
    expect(calls(id)).toEqual({ started: [], updated: [], stopped: [run] });
    expect(await task(id)).toMatchObject({ status: 'stopped', runId: run, stopSeq: '61' });
  });
});
