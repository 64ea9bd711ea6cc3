import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadConsumerConfig } from '../../../lib/config';
import { createConsumerHandler } from '../../../lib/process/consumer-handler';
import { dynamoClient, idempotencyClient } from '../../../lib/store/dynamodb-client';
import { lambdaContext } from '../../../tools/local-stack/lambda-context';
import { capturedLogger } from '../../support/logs';
import { sqsEvent, sqsRecord } from '../../support/messages';
import { capturedMetrics } from '../../support/metrics';

const aws = { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } };
const records = mockClient(idempotencyClient());
const tasks = mockClient(dynamoClient);
const documents = mockClient(DynamoDBDocumentClient);

beforeEach(() => {
  for (const mock of [records, tasks, documents]) mock.reset();
  records.on(PutItemCommand).resolves({});
  tasks.on(PutItemCommand).resolves({});
  // The task's write fails: the record is claimed, then released, and nothing else is sent.
  documents.on(UpdateCommand).rejects(new Error('the task write failed'));
});

/** Handles one new callback; which client claims its idempotency record is what the tests read. */
async function handleOne(clients: { dynamo?: DynamoDBClient }) {
  const handler = createConsumerHandler({
    config: loadConsumerConfig({
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
  it('claims idempotency records through the idempotency client by default', async () => {
    await handleOne({});
    expect(records.commandCalls(PutItemCommand, { TableName: 'idempotency' })).toHaveLength(1);
    expect(tasks.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  it('claims them through the DynamoDB client it is given, when given one alone', async () => {
    const given = new DynamoDBClient(aws);
    const mock = mockClient(given);
    mock.on(PutItemCommand).resolves({});
    await handleOne({ dynamo: given });
    expect(mock.commandCalls(PutItemCommand, { TableName: 'idempotency' })).toHaveLength(1);
    expect(records.commandCalls(PutItemCommand)).toHaveLength(0);
  });
});
