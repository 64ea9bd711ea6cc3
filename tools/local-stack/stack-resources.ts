import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { readStack, type StackDefinition } from './stack-definition';
import type { ThrottleLimits } from './token-bucket';

/**
 * The tables and queues of serverless.yml, created on local engines, and the environment of each
 * function with the stack's references resolved to them. Reads only what the engines need: keys,
 * indexes and TTL of each table; FIFO, visibility, retention, size and redrive of each queue.
 */

type Resources = StackDefinition['resources']['Resources'];

function resourcesOfType(stack: StackDefinition, type: string): [string, Resources[string]][] {
  return Object.entries(stack.resources.Resources).filter(([, resource]) => resource.Type === type);
}

/**
 * `value` with each `Fn::If` decided by the stack's conditions and each `AWS::NoValue` left out, as
 * CloudFormation does. The conditions here compare strings serverless has already resolved.
 */
function withConditions(value: unknown, stack: StackDefinition): unknown {
  if (Array.isArray(value))
    return value.map((item) => withConditions(item, stack)).filter((item) => item !== NO_VALUE);
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  if ('Fn::If' in record) {
    const [name, then, otherwise] = record['Fn::If'] as [string, unknown, unknown];
    return withConditions(holds(stack.resources.Conditions?.[name], stack) ? then : otherwise, stack);
  }
  if (record.Ref === 'AWS::NoValue') return NO_VALUE;
  return Object.fromEntries(Object.entries(record).map(([key, item]) => [key, withConditions(item, stack)]));
}

const NO_VALUE = Symbol('AWS::NoValue');

function holds(condition: unknown, stack: StackDefinition): boolean {
  const c = condition as Record<string, unknown[]> | undefined;
  if (c?.['Fn::Equals']) return c['Fn::Equals'][0] === c['Fn::Equals'][1];
  if (c?.['Fn::Not']) return !holds(c['Fn::Not'][0], stack);
  throw new Error(`a condition the local stack cannot decide: ${JSON.stringify(condition)}`);
}

/** Creates every DynamoDB table of the stack, named `${prefix}${LogicalId}`. Returns logical id -> name. */
export async function createTables(client: DynamoDBClient, prefix: string, stack = readStack()) {
  const names: Record<string, string> = {};
  for (const [logicalId, { Properties: properties }] of resourcesOfType(stack, 'AWS::DynamoDB::Table')) {
    const p = withConditions(properties, stack) as Record<string, unknown>;
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
    await waitUntilTableExists({ client, minDelay: 1, maxWaitTime: 30 }, { TableName });
    const ttl = p.TimeToLiveSpecification as { AttributeName: string; Enabled: boolean } | undefined;
    if (ttl?.Enabled) await enableTimeToLive(client, TableName, ttl.AttributeName);
    names[logicalId] = TableName;
  }
  return names;
}

/**
 * Turns on a table's TTL unless it is on already: DynamoDB (Local too) refuses to enable it twice
 * ("TimeToLive is already enabled"), which a table kept from an earlier run (a data folder) has.
 * dynalite has no TTL API; DynamoDB Local has one (and never deletes, like the real one within the
 * tests' time). Nothing here relies on deletion.
 */
async function enableTimeToLive(client: DynamoDBClient, TableName: string, AttributeName: string) {
  try {
    const { TimeToLiveDescription: now } = await client.send(new DescribeTimeToLiveCommand({ TableName }));
    const on = now?.TimeToLiveStatus === 'ENABLED' || now?.TimeToLiveStatus === 'ENABLING';
    if (on && now?.AttributeName === AttributeName) return;
    await client.send(
      new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { AttributeName, Enabled: true } }),
    );
  } catch (error) {
    if ((error as Error).name !== 'UnknownOperationException') throw error;
  }
}

export interface LocalQueue {
  url: string;
  arn: string;
}

const QUEUE_ATTRIBUTES = [
  'FifoQueue',
  'ContentBasedDeduplication',
  'VisibilityTimeout',
  'MessageRetentionPeriod',
  'MaximumMessageSize',
  'DeduplicationScope',
  'FifoThroughputLimit',
];

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
  const created: Record<string, LocalQueue> = {};
  // Queues without a redrive policy first: the others point at them.
  const ordered = resourcesOfType(stack, 'AWS::SQS::Queue').sort(
    ([, a], [, b]) => Number('RedrivePolicy' in a.Properties) - Number('RedrivePolicy' in b.Properties),
  );
  for (const [logicalId, { Properties: p }] of ordered) {
    const Attributes: Record<string, string> = {};
    for (const name of QUEUE_ATTRIBUTES) if (p[name] !== undefined) Attributes[name] = String(p[name]);
    const redrive = p.RedrivePolicy as { deadLetterTargetArn: unknown; maxReceiveCount: number } | undefined;
    if (redrive) {
      const target = created[referenced(redrive.deadLetterTargetArn)];
      if (!target) throw new Error(`${logicalId} redrives to a queue that is not defined`);
      Attributes.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: target.arn,
        maxReceiveCount: redrive.maxReceiveCount,
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

/** The logical id behind `{ Ref: X }` or `{ "Fn::GetAtt": [X, attribute] }`. */
function referenced(value: unknown): string {
  const ref = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  const id = ref.Ref ?? ref['Fn::GetAtt']?.[0];
  if (!id) throw new Error(`not a reference to a resource: ${JSON.stringify(value)}`);
  return id;
}

/**
 * A function's environment as serverless.yml writes it (the provider's, then the function's), each
 * `!If` decided and each `!Ref` replaced by what the local engines named: a table's name, a queue's URL.
 */
export function functionEnvironment(
  fn: string,
  local: Record<string, string>,
  stack = readStack(),
): Record<string, string> {
  const declared = { ...stack.provider.environment, ...stack.functions[fn]?.environment };
  return Object.fromEntries(
    Object.entries(declared).map(([name, declaredValue]) => {
      // An `!If` on a stage parameter (EVENT_BUS_NAME: the stack's own bus, or the one named).
      const value = withConditions(declaredValue, stack);
      if (typeof value !== 'object' || value === null) return [name, String(value ?? '')];
      const id = referenced(value);
      const resolved = local[id];
      if (resolved === undefined)
        throw new Error(`${fn}'s ${name} refers to ${id}, which has no local counterpart`);
      return [name, resolved];
    }),
  );
}

/** The HTTP API's throttling limits (serverless.yml: the HttpApiStage's default route settings). */
export function apiThrottle(stack = readStack()): ThrottleLimits {
  const settings = stack.resources.extensions?.HttpApiStage?.Properties?.DefaultRouteSettings as
    | { ThrottlingRateLimit?: number; ThrottlingBurstLimit?: number }
    | undefined;
  const rate = Number(settings?.ThrottlingRateLimit);
  const burst = Number(settings?.ThrottlingBurstLimit);
  if (!(rate >= 0 && burst >= 0)) throw new Error('serverless.yml sets no throttling on HttpApiStage');
  return { rate, burst };
}
