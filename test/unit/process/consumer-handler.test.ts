import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadConsumerConfig } from '../../../lib/config';
import { createConsumerHandler } from '../../../lib/process/consumer-handler';
import { dynamoClient } from '../../../lib/store/dynamodb-client';
import { lambdaContext } from '../../../tools/local-stack/lambda-context';
import { capturedLogger } from '../../support/logs';
import { sqsEvent, sqsRecord } from '../../support/messages';
import { capturedMetrics } from '../../support/metrics';

const aws = { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } };
const shared = mockClient(dynamoClient);

/** The record's claim succeeds, the task's write fails: the record is then released. */
function answer(mock: typeof shared) {
  mock.reset();
  mock.on(PutItemCommand).resolves({});
  mock.on(UpdateItemCommand).rejects(new Error('the task write failed'));
}

beforeEach(() => answer(shared));

/** Handles one new callback; which client claims its record and writes its task is what the tests read. */
async function handleOne(clients: { dynamo?: DynamoDBClient }) {
  const handler = createConsumerHandler({
    config: loadConsumerConfig({
      STAGE: 'test',
      TASKS_TABLE: 'tasks',
      IDEMPOTENCY_TABLE: 'idempotency',
      DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/callbacks-dlq.fifo',
    }),
    hooks: { onMixStarted: async () => {}, onMixStopped: async () => {} },
    logger: capturedLogger().logger,
    metrics: capturedMetrics().metrics,
    sqs: new SQSClient(aws),
    ...clients,
  });
  const result = await handler(sqsEvent(sqsRecord()), lambdaContext('consumer'));
  expect(result.batchItemFailures).toHaveLength(1);
}

describe('createConsumerHandler’s clients', () => {
  it('claims the idempotency record and writes the task through the module’s client by default', async () => {
    await handleOne({});
    expect(shared.commandCalls(PutItemCommand, { TableName: 'idempotency' })).toHaveLength(1);
    expect(shared.commandCalls(UpdateItemCommand, { TableName: 'tasks' })).toHaveLength(1);
  });

  it('makes both through the DynamoDB client it is given', async () => {
    const given = new DynamoDBClient(aws);
    const mock = mockClient(given);
    answer(mock);
    await handleOne({ dynamo: given });
    expect(mock.commandCalls(PutItemCommand, { TableName: 'idempotency' })).toHaveLength(1);
    expect(mock.commandCalls(UpdateItemCommand, { TableName: 'tasks' })).toHaveLength(1);
    expect(shared.calls()).toHaveLength(0);
  });
});

describe('createConsumerHandler with EVENT_BUS_NAME', () => {
  it('publishes the run’s event on that bus before your hook runs', async () => {
    shared.reset();
    shared.on(PutItemCommand).resolves({});
    shared.on(UpdateItemCommand).resolves({
      Attributes: {
        appid: { S: '111111' },
        task_id: { S: '111111:1111' },
        status: { S: 'stopped' },
        seq: { N: '1234' },
        runId: { S: '111111:111111:1111:1234' },
        stopSeq: { N: '1234' },
        stoppedBy: { S: 'callback' },
        updatedAt: { S: '2023-07-20T06:40:23.000Z' },
      },
    });
    const eventBridge = new EventBridgeClient(aws);
    const events = mockClient(eventBridge);
    const order: string[] = [];
    events.on(PutEventsCommand).callsFake(async () => {
      order.push('published');
      return { FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] };
    });
    const handler = createConsumerHandler({
      config: loadConsumerConfig({
        STAGE: 'test',
        TASKS_TABLE: 'tasks',
        IDEMPOTENCY_TABLE: 'idempotency',
        DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/callbacks-dlq.fifo',
        EVENT_BUS_NAME: 'the-bus',
      }),
      hooks: {
        onMixStarted: async () => {},
        onMixStopped: async () => void order.push('onMixStopped'),
      },
      logger: capturedLogger().logger,
      metrics: capturedMetrics().metrics,
      sqs: new SQSClient(aws),
      eventBridge,
    });
    const result = await handler(sqsEvent(sqsRecord()), lambdaContext('consumer'));
    expect(result.batchItemFailures).toEqual([]);
    expect(order).toEqual(['published', 'onMixStopped']);
    const [entry] = events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries ?? [];
    expect(entry).toMatchObject({
      EventBusName: 'the-bus',
      Source: 'zego-mix-callbacks',
      DetailType: 'Mix Stopped',
    });
    expect(JSON.parse(entry?.Detail ?? '{}')).toMatchObject({
      inferred: false,
      runId: '111111:111111:1111:1234',
    });
  });
});
