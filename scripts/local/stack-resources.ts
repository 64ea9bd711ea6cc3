import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { parse, type Tags, type YAMLSeq } from 'yaml';
import type { ThrottleLimits } from './token-bucket';

/**
 * The tables and queues of serverless.yml, created on local engines, so local runs and tests use
 * exactly the deployed definitions. Reads only what the engines need: keys, indexes and TTL of
 * each table; FIFO, visibility, retention and redrive of each queue.
 */

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}

interface StackFile {
  params?: { default?: Record<string, unknown> };
  resources: { Resources: Record<string, Resource> };
}

// CloudFormation's short tags (`!Ref X`, `!If [...]`, `!Sub [...]`), kept as plain objects.
const cloudFormationTags: Tags = [
  'Ref',
  'GetAtt',
  'Sub',
  'Join',
  'Select',
  'Split',
  'If',
  'Equals',
  'Not',
].flatMap((name) => {
  const key = name === 'Ref' ? 'Ref' : `Fn::${name}`;
  return [
    { tag: `!${name}`, resolve: (value: unknown) => ({ [key]: value }) },
    { tag: `!${name}`, collection: 'seq' as const, resolve: (value: YAMLSeq) => ({ [key]: value.toJSON() }) },
  ];
});

export function readStack(file = join(__dirname, '..', '..', 'serverless.yml')): StackFile {
  return parse(readFileSync(file, 'utf8'), { customTags: cloudFormationTags }) as StackFile;
}

/** `${param:x}` from the default params; names are given by the caller, so nothing else is needed. */
function resolveParams(value: unknown, stack: StackFile): unknown {
  if (typeof value !== 'string') return value;
  const whole = /^\$\{param:(\w+)\}$/.exec(value);
  if (!whole?.[1]) return value;
  const resolved = stack.params?.default?.[whole[1]];
  if (resolved === undefined) throw new Error(`serverless.yml has no default for param ${whole[1]}`);
  return resolved;
}

function resourcesOfType(stack: StackFile, type: string): [string, Resource][] {
  return Object.entries(stack.resources.Resources).filter(([, resource]) => resource.Type === type);
}

/** Creates every DynamoDB table of the stack, named `${prefix}${LogicalId}`. Returns logical id -> name. */
export async function createTables(client: DynamoDBClient, prefix: string, stack = readStack()) {
  const names: Record<string, string> = {};
  for (const [logicalId, { Properties: p }] of resourcesOfType(stack, 'AWS::DynamoDB::Table')) {
    const TableName = `${prefix}${logicalId}`;
    const input: CreateTableCommandInput = {
      TableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: p.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
      KeySchema: p.KeySchema as CreateTableCommandInput['KeySchema'],
      GlobalSecondaryIndexes: p.GlobalSecondaryIndexes as CreateTableCommandInput['GlobalSecondaryIndexes'],
    };
    try {
      await client.send(new CreateTableCommand(input));
    } catch (error) {
      // Kept from an earlier run (a persistent data folder): use it as it is.
      if ((error as Error).name !== 'ResourceInUseException') throw error;
    }
    await waitForTable(client, TableName);
    const ttl = p.TimeToLiveSpecification as { AttributeName: string; Enabled: boolean } | undefined;
    if (ttl?.Enabled) {
      try {
        await client.send(new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: ttl }));
      } catch (error) {
        // dynalite has no TTL API; DynamoDB Local has one (and never deletes, like the real one
        // within the tests' time). Nothing here relies on deletion.
        if ((error as Error).name !== 'UnknownOperationException') throw error;
      }
    }
    names[logicalId] = TableName;
  }
  return names;
}

/** `!GetAtt Queue.Arn` (short form) or `Fn::GetAtt: [Queue, Arn]` (long form): the logical id. */
function getAttResource(getAtt: unknown): string {
  const [logicalId] = Array.isArray(getAtt) ? getAtt : String(getAtt).split('.');
  return String(logicalId);
}

async function waitForTable(client: DynamoDBClient, TableName: string) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`table ${TableName} did not become ACTIVE`);
}

export interface LocalQueue {
  url: string;
  arn: string;
}

/**
 * Creates every SQS queue of the stack, dead-letter queues first, named `${prefix}${LogicalId}`
 * (plus `.fifo`). `overrides` adjusts attributes per logical id (tests shorten VisibilityTimeout).
 */
export async function createQueues(
  client: SQSClient,
  prefix: string,
  overrides: Record<string, Record<string, string>> = {},
  stack = readStack(),
): Promise<Record<string, LocalQueue>> {
  const queues = resourcesOfType(stack, 'AWS::SQS::Queue');
  const created: Record<string, LocalQueue> = {};
  // Queues without a redrive policy first: the others point at them.
  const ordered = [...queues].sort(
    ([, a], [, b]) => Number('RedrivePolicy' in a.Properties) - Number('RedrivePolicy' in b.Properties),
  );
  for (const [logicalId, { Properties: p }] of ordered) {
    const Attributes: Record<string, string> = {};
    for (const name of [
      'FifoQueue',
      'ContentBasedDeduplication',
      'VisibilityTimeout',
      'MessageRetentionPeriod',
      'MaximumMessageSize',
      'DeduplicationScope',
      'FifoThroughputLimit',
    ]) {
      if (p[name] !== undefined) Attributes[name] = String(resolveParams(p[name], stack));
    }
    const redrive = p.RedrivePolicy as
      | { deadLetterTargetArn: { 'Fn::GetAtt': unknown }; maxReceiveCount: unknown }
      | undefined;
    if (redrive) {
      const target = created[getAttResource(redrive.deadLetterTargetArn['Fn::GetAtt'])];
      if (!target) throw new Error(`${logicalId} redrives to a queue that is not defined`);
      Attributes.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: target.arn,
        maxReceiveCount: Number(resolveParams(redrive.maxReceiveCount, stack)),
      });
    }
    Object.assign(Attributes, overrides[logicalId]);
    const QueueName = `${prefix}${logicalId}${p.FifoQueue ? '.fifo' : ''}`;
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName, Attributes }));
    const { Attributes: read } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    if (!QueueUrl || !read?.QueueArn) throw new Error(`queue ${QueueName} was not created`);
    created[logicalId] = { url: QueueUrl, arn: read.QueueArn };
  }
  return created;
}

/** The HTTP API's throttling limits by default (serverless.yml `apiThrottleRate`, `apiThrottleBurst`). */
export function apiThrottle(stack = readStack()): ThrottleLimits {
  const rate = Number(stack.params?.default?.apiThrottleRate);
  const burst = Number(stack.params?.default?.apiThrottleBurst);
  if (!(rate >= 0 && burst >= 0))
    throw new Error('serverless.yml has no default apiThrottleRate/apiThrottleBurst');
  return { rate, burst };
}
