import { describe, expect, it } from 'vitest';
import { deployedNames } from '../../cli/target';
import { QUEUE_MAX_MESSAGE_BYTES } from '../../lib/queue/message';
import { deployed, ofType, options, resource, template } from '../support/stack-template';

describe('the packaged stack', () => {
  // The CLI finds a deployed stage's queues and table by name (`zego dlq refused --stage S`).
  it('names its queues and tasks table as the CLI looks for them', () => {
    const names = deployedNames('ci'); // the stage the default template was packaged at
    const name = (logicalId: string, property: string) => resource(logicalId).Properties[property];
    expect({
      tasksTable: name('TasksTable', 'TableName'),
      queue: name('CallbackQueue', 'QueueName'),
      deadLetterQueue: name('CallbackDeadLetterQueue', 'QueueName'),
      refusedQueue: name('RefusedCallbacksQueue', 'QueueName'),
    }).toEqual(names);
  });

  it('has a FIFO queue without content-based de-duplication, redriving to a FIFO DLQ', () => {
    const queue = resource('CallbackQueue').Properties;
    expect(queue).toMatchObject({ FifoQueue: true, ContentBasedDeduplication: false });
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': ['CallbackDeadLetterQueue', 'Arn'] },
      maxReceiveCount: 5,
    });
    expect(resource('CallbackDeadLetterQueue').Properties).toMatchObject({ FifoQueue: true });
  });

  it('subscribes the consumer to the queue with ReportBatchItemFailures', () => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(1);
    const [, mapping] = mappings[0] ?? [];
    expect(mapping?.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': ['CallbackQueue', 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      FunctionName: { 'Fn::GetAtt': ['ConsumerLambdaFunction', 'Arn'] },
    });
  });

  it('has on-demand tables with TTL for the consumer', () => {
    expect(resource('IdempotencyTable').Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiration' },
    });
    expect(resource('TasksTable').Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'appid', KeyType: 'HASH' },
        { AttributeName: 'task_id', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' },
    });
  });

  it('binds signatures in a table of their own that forgets them by TTL', () => {
    expect(resource('SignaturesTable').Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'signature', KeyType: 'HASH' }],
      TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' },
    });
    expect(resource('IngestLambdaFunction').Properties.Environment.Variables).toMatchObject({
      SIGNATURES_TABLE: { Ref: 'SignaturesTable' },
      REFUSED_QUEUE_URL: { Ref: 'RefusedCallbacksQueue' },
      ZEGO_MAX_CLOCK_SKEW_SECONDS: '300',
      ZEGO_APP_IDS: '',
    });
  });

  it('keeps refused bodies 14 days in a queue of their own, encrypted, apart from the DLQ no redrive reads', () => {
    expect(resource('RefusedCallbacksQueue').Properties).toEqual({
      QueueName: expect.stringMatching(/-ci-refused$/),
      MessageRetentionPeriod: 1_209_600,
      MaximumMessageSize: QUEUE_MAX_MESSAGE_BYTES,
      SqsManagedSseEnabled: true,
    });
    expect(template.Outputs.RefusedCallbacksQueueUrl?.Value).toEqual({ Ref: 'RefusedCallbacksQueue' });
  });

  it('caps the queues at the message size ingest checks before answering', () => {
    for (const queue of ['CallbackQueue', 'CallbackDeadLetterQueue', 'RefusedCallbacksQueue']) {
      expect(resource(queue).Properties.MaximumMessageSize, queue).toBe(QUEUE_MAX_MESSAGE_BYTES);
    }
  });

  it('pre-warms the three tables only when tableWarmWritesPerSecond is set', () => {
    for (const table of ['TasksTable', 'IdempotencyTable', 'SignaturesTable']) {
      expect(deployed(template, table)?.Properties.WarmThroughput, table).toBeUndefined();
      expect(deployed(options, table)?.Properties.WarmThroughput, table).toEqual({
        WriteUnitsPerSecond: 5000,
      });
    }
  });

  it('keeps the tables and their data on removal and replacement, unless keepTables is false', () => {
    for (const table of ['TasksTable', 'IdempotencyTable']) {
      expect(template.Resources[table], table).toMatchObject({
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
      expect(options.Resources[table], table).toMatchObject({
        DeletionPolicy: 'Delete',
        UpdateReplacePolicy: 'Delete',
      });
    }
  });
});
