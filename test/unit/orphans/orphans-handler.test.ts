import { Logger } from '@aws-lambda-powertools/logger';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadOrphansConfig } from '../../../lib/config';
import { createOrphansHandler } from '../../../lib/orphans/orphans-handler';
import { parseQueuedMessage } from '../../../lib/queue/message';
import { lambdaContext } from '../../../tools/local-stack/lambda-context';
import { capturedMetrics, total } from '../../support/metrics';

const ddb = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const ssm = mockClient(SSMClient);
const PARAM = '/zego-mix-callbacks/test/server-secret';
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/callbacks.fifo';
const NOW_MS = Date.parse('2027-01-15T08:00:00Z');
const aws = { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } };

beforeEach(() => {
  ddb.reset();
  sqs.reset();
  ssm.reset();
  // One mix running for an hour, under a task id ZEGO prefixed with the appid.
  ddb.on(ScanCommand).resolves({
    Items: [
      {
        appid: '111111',
        task_id: '111111:1111',
        status: 'running',
        seq: 42,
        runningSince: NOW_MS / 1000 - 3_600,
        updatedAt: '2027-01-15T07:00:00.000Z',
      },
    ],
  });
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
  const run = createOrphansHandler({
    config: loadOrphansConfig({ TASKS_TABLE: 'tasks', QUEUE_URL, ...env }),
    hooks: { onMixOrphaned: async () => {} },
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics,
    dynamo: new DynamoDBClient(aws),
    sqs: new SQSClient(aws),
    ssm: new SSMProvider({ awsSdkV3Client: new SSMClient(aws) }),
    fetch,
    now: () => NOW_MS,
    pacing: { callsPerSecond: 1_000 },
  });
  return { run, emitted };
}

describe('createOrphansHandler', () => {
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

  it('fails the run, with no heartbeat, when the ServerSecret parameter cannot be read', async () => {
    ssm.on(GetParameterCommand).rejects(new Error('AccessDeniedException'));
    const zego = goneEverywhere();
    const { run, emitted } = handler({ ZEGO_SERVER_SECRET_PARAM: PARAM, ZEGO_APP_IDS: '111111' }, zego.fetch);
    await expect(run({}, lambdaContext('orphans', 60_000))).rejects.toThrow(/reconciliation step/);
    expect(zego.asked).toEqual([]);
    expect(total(emitted(), 'OrphanCheckCompleted')).toBe(0);
  });
});
