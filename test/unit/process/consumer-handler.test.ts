import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
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
