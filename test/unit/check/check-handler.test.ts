import { Logger } from '@aws-lambda-powertools/logger';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import {
  DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCheckHandler } from '../../../lib/check/check-handler';
import { loadOrphansConfig } from '../../../lib/config';
import { createMetrics } from '../../../lib/metrics';
import { parseQueuedMessage } from '../../../lib/queue/message';
import { runningShard } from '../../../lib/store/task-item';
import { lambdaContext } from '../../../tools/local-stack/lambda-context';
import { capturedLogger } from '../../support/logs';
import { capturedMetrics, capturedStdout, total } from '../../support/metrics';

const ddb = mockClient(DynamoDBClient);
const sqs = mockClient(SQSClient);
const ssm = mockClient(SSMClient);
const PARAM = '/zego-mix-callbacks/test/server-secret';
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/callbacks.fifo';
const NOW_MS = Date.parse('2027-01-15T08:00:00Z');
const aws = { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } };

/** One mix running for an hour, under a task id ZEGO prefixed with the appid, due for a check. */
const RUNNING = {
  appid: '111111',
  task_id: '111111:1111',
  status: 'running',
  seq: 42,
  runId: '111111:111111:1111:42',
  runningSince: NOW_MS / 1000 - 3_600,
  runningShard: runningShard('111111', '111111:1111'),
  checkAt: NOW_MS / 1000 - 3_000,
  updatedAt: '2027-01-15T07:00:00.000Z',
};

beforeEach(() => {
  ddb.reset();
  sqs.reset();
  ssm.reset();
  // The tasks table with that one task: the running index answers for its shard when it is due.
  ddb.on(QueryCommand).callsFake((input: QueryCommandInput) => {
    const values = unmarshall(input.ExpressionAttributeValues ?? {});
    const due = values[':dueBy'] === undefined || RUNNING.checkAt <= values[':dueBy'];
    const items = values[':shard'] === RUNNING.runningShard && due ? [marshall(RUNNING)] : [];
    return { Items: items, Count: items.length };
  });
  ddb.on(GetItemCommand).resolves({ Item: marshall(RUNNING) });
  ddb.on(UpdateItemCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
  ssm.on(GetParameterCommand).resolves({
    Parameter: { Name: PARAM, Value: 'fixture-server-secret', Type: 'SecureString' },
  });
});
afterEach(() => vi.restoreAllMocks());

/** ZEGO knows no form of any task id; records each TaskId asked. */
function goneEverywhere() {
  const asked: string[] = [];
  const fetch = (async (input: string | URL | Request) => {
    asked.push(new URL(String(input)).searchParams.get('TaskId') ?? '');
    return new Response(JSON.stringify({ Code: 110209001, Message: 'task not exist', RequestId: 'r' }));
  }) as typeof globalThis.fetch;
  return { fetch, asked };
}

function handler(env: Record<string, string>, fetch: typeof globalThis.fetch) {
  const { metrics, emitted } = capturedMetrics('orphans');
  const run = createCheckHandler({
    config: loadOrphansConfig({ STAGE: 'test', TASKS_TABLE: 'tasks', QUEUE_URL, ...env }),
    hooks: { onMixOrphaned: async () => {} },
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics,
    dynamo: new DynamoDBClient(aws),
    sqs: new SQSClient(aws),
    ssm: new SSMProvider({ awsSdkV3Client: new SSMClient(aws) }),
    fetch,
    now: () => NOW_MS,
    pacing: { sleep: async () => {} },
  });
  return { run, emitted };
}

describe('createCheckHandler', () => {
  it('reads a plain ServerSecret from its SSM parameter for the appids served, and queues the stop in the task’s group', async () => {
    const zego = goneEverywhere();
    const { run } = handler({ ZEGO_SERVER_SECRET_PARAM: PARAM, ZEGO_APP_IDS: '111111' }, zego.fetch);
    await run({}, lambdaContext('orphans', 60_000));

    expect(ssm.commandCalls(GetParameterCommand)[0]?.args[0].input).toEqual({
      Name: PARAM,
      WithDecryption: true,
    });
    expect(zego.asked).toEqual(['111111:1111', '1111']);
    const [send] = sqs.commandCalls(SendMessageCommand);
    expect(send?.args[0].input).toMatchObject({
      QueueUrl: QUEUE_URL,
      MessageGroupId: '111111:111111:1111',
      MessageDeduplicationId: '111111:111111:1111:#reconcile:42',
    });
    expect(parseQueuedMessage(send?.args[0].input.MessageBody ?? '')).toMatchObject({
      reconciliation: {
        appid: '111111',
        task_id: '111111:1111',
        seq: '42',
        checkedAt: '2027-01-15T08:00:00.000Z',
      },
    });
  });

  it('asks neither SSM nor ZEGO, and queues nothing, when reconciliation is off', async () => {
    const zego = goneEverywhere();
    const { run, emitted } = handler({}, zego.fetch);
    await run({}, lambdaContext('orphans', 60_000));
    expect(ssm.calls()).toHaveLength(0);
    expect(zego.asked).toEqual([]);
    expect(sqs.calls()).toHaveLength(0);
    const names = emitted().map((m) => m.name);
    expect(names).not.toContain('ReconcileLookups');
    expect(names).toContain('OrphanCheckCompleted');
  });

  it('starts no lookup when too little of the invocation is left to finish after it', async () => {
    const zego = goneEverywhere();
    const { run, emitted } = handler({ ZEGO_SERVER_SECRET: 'fixture-server-secret' }, zego.fetch);
    await run({}, lambdaContext('orphans', 15_000));
    expect(zego.asked).toEqual([]);
    expect(sqs.calls()).toHaveLength(0);
    expect(total(emitted(), 'ReconcileLookups')).toBe(0);
  });

  it('stops starting lookups once the time left is all reserved, to the millisecond', async () => {
    // 20 s reserved plus two calls' timeouts (3 s each): 26 s left is no time for a lookup; 26.001 s is.
    const at = (remainingMs: number) => ({
      ...lambdaContext('orphans'),
      getRemainingTimeInMillis: () => remainingMs,
    });
    const none = goneEverywhere();
    await handler({ ZEGO_SERVER_SECRET: 'fixture-server-secret' }, none.fetch).run({}, at(26_000));
    expect(none.asked).toEqual([]);
    const some = goneEverywhere();
    await handler({ ZEGO_SERVER_SECRET: 'fixture-server-secret' }, some.fetch).run({}, at(26_001));
    expect(some.asked).toEqual(['111111:1111', '1111']);
  });

  it('reports a task as orphaned once it has run ORPHAN_AFTER_MINUTES', async () => {
    const reported: string[] = [];
    const onMixOrphaned = async ({ task }: { task: { task_id: string } }) => {
      reported.push(task.task_id);
    };
    for (const minutes of ['120', '59']) {
      await createCheckHandler({
        config: loadOrphansConfig({ STAGE: 'test', TASKS_TABLE: 'tasks', ORPHAN_AFTER_MINUTES: minutes }),
        hooks: { onMixOrphaned },
        logger: new Logger({ logLevel: 'SILENT' }),
        dynamo: new DynamoDBClient(aws),
        now: () => NOW_MS,
      })({}, lambdaContext('orphans', 60_000));
    }
    // The task has run an hour: not an orphan after 120 minutes, one after 59.
    expect(reported).toEqual(['111111:1111']);
  });

  it('fails the run, with no heartbeat, when the ServerSecret parameter cannot be read', async () => {
    ssm.on(GetParameterCommand).rejects(new Error('AccessDeniedException'));
    const zego = goneEverywhere();
    const { run, emitted } = handler({ ZEGO_SERVER_SECRET_PARAM: PARAM, ZEGO_APP_IDS: '111111' }, zego.fetch);
    const failure = run({}, lambdaContext('orphans', 60_000));
    await expect(failure).rejects.toThrow(/1 step\(s\) of the scheduled check failed/);
    await expect(failure).rejects.toMatchObject({
      errors: [{ message: `the server secret parameter ${PARAM} could not be read` }],
    });
    expect(zego.asked).toEqual([]);
    expect(total(emitted(), 'OrphanCheckCompleted')).toBe(0);
  });

  it('goes on with the last good ServerSecret when SSM fails, and warns', async () => {
    const { logger, records } = capturedLogger();
    const zego = goneEverywhere();
    const run = createCheckHandler({
      config: loadOrphansConfig({
        STAGE: 'test',
        TASKS_TABLE: 'tasks',
        QUEUE_URL,
        ZEGO_SERVER_SECRET_PARAM: PARAM,
        ZEGO_APP_IDS: '111111',
        ZEGO_SECRET_CACHE_SECONDS: '0',
      }),
      hooks: { onMixOrphaned: async () => {} },
      logger,
      dynamo: new DynamoDBClient(aws),
      sqs: new SQSClient(aws),
      ssm: new SSMProvider({ awsSdkV3Client: new SSMClient(aws) }),
      fetch: zego.fetch,
      now: () => NOW_MS,
      pacing: { sleep: async () => {} },
    });
    await run({}, lambdaContext('orphans', 60_000));
    ssm.on(GetParameterCommand).rejects(new Error('ThrottlingException'));
    await run({}, lambdaContext('orphans', 60_000));
    expect(zego.asked).toEqual(['111111:1111', '1111', '111111:1111', '1111']);
    expect(records().filter((record) => record.level === 'WARN')).toMatchObject([
      { error: { message: 'ThrottlingException' } },
    ]);
  });

  it('logs a check that reported and stopped nothing at debug, one that reported an orphan at info', async () => {
    const levels = async (orphanAfterMinutes: string) => {
      const { logger, records } = capturedLogger();
      const run = createCheckHandler({
        config: loadOrphansConfig({
          STAGE: 'test',
          TASKS_TABLE: 'tasks',
          ORPHAN_AFTER_MINUTES: orphanAfterMinutes,
        }),
        hooks: { onMixOrphaned: async () => {} },
        logger,
        metrics: createMetrics('orphans', 'test'), // its lines are read with the logger's, and left out
        dynamo: new DynamoDBClient(aws),
        now: () => NOW_MS,
      });
      await run({}, lambdaContext('orphans', 60_000));
      return records()
        .filter((record) => record.message === 'scheduled check')
        .map((record) => [record.level, record.visited]);
    };
    // The task has run an hour: looked at, not yet an orphan after 240 minutes; one after 30.
    expect(await levels('240')).toEqual([['DEBUG', 1]]);
    expect(await levels('30')).toEqual([['INFO', 1]]);
  });

  it('logs as service zego-mix-callbacks, function orphans, with no logger given', async () => {
    const stdout = capturedStdout();
    const run = createCheckHandler({
      // An orphan to report: a check that finds none logs at debug, below the default level.
      config: loadOrphansConfig({ STAGE: 'test', TASKS_TABLE: 'tasks', ORPHAN_AFTER_MINUTES: '30' }),
      hooks: { onMixOrphaned: async () => {} },
      metrics: createMetrics('orphans', 'test'),
      dynamo: new DynamoDBClient(aws),
      now: () => NOW_MS,
    });
    await run({}, lambdaContext('orphans', 60_000));
    const logged = stdout()
      .split('\n')
      .filter((line) => line.startsWith('{') && !line.includes('"_aws"'))
      .map((line) => JSON.parse(line));
    expect(logged).toMatchObject([
      {
        message: 'scheduled check',
        running: 1,
        orphaned: 1,
        service: 'zego-mix-callbacks',
        function: 'orphans',
      },
    ]);
  });
});

describe('createCheckHandler with EVENT_BUS_NAME', () => {
  it('publishes Mix Orphaned on that bus before onMixOrphaned, and neither again on a failed publish', async () => {
    const eventBridge = new EventBridgeClient(aws);
    const events = mockClient(eventBridge);
    const order: string[] = [];
    events.on(PutEventsCommand).callsFake(async () => {
      order.push('published');
      return { FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] };
    });
    const build = () =>
      createCheckHandler({
        config: loadOrphansConfig({
          STAGE: 'test',
          TASKS_TABLE: 'tasks',
          ORPHAN_AFTER_MINUTES: '30',
          EVENT_BUS_NAME: 'the-bus',
        }),
        hooks: { onMixOrphaned: async () => void order.push('onMixOrphaned') },
        logger: new Logger({ logLevel: 'SILENT' }),
        metrics: createMetrics('orphans', 'test'),
        dynamo: new DynamoDBClient(aws),
        eventBridge,
        now: () => NOW_MS,
      });
    capturedStdout();
    await build()({}, lambdaContext('orphans', 60_000));
    expect(order).toEqual(['published', 'onMixOrphaned']);
    const [entry] = events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries ?? [];
    expect(entry).toMatchObject({ EventBusName: 'the-bus', DetailType: 'Mix Orphaned' });
    expect(JSON.parse(entry?.Detail ?? '{}')).toMatchObject({
      eventId: '111111:111111:1111:42:#orphaned',
      runningSeconds: 3_600,
    });

    // Refused: the hook is not called, the report is left for the next check, and the check fails.
    events
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });
    order.length = 0;
    await expect(build()({}, lambdaContext('orphans', 60_000))).rejects.toThrow();
    expect(order).toEqual([]);
  });
});
