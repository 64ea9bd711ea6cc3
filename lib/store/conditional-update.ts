import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { fromAttributes, type MixTask, type TaskKey, toAttributes } from './task-item';

// What the task store's conditional writes share: an update built from fields, a condition joined
// to it, and one UpdateItem that returns the item as written or, when refused, as it stands.

export interface Condition {
  expression: string;
  values: Record<string, unknown>;
}

export interface Update {
  UpdateExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
}

/** A value written only when the attribute is not there yet. */
interface IfNotExists {
  ifNotExists: unknown;
}
export const ifNotExists = (value: unknown): IfNotExists => ({ ifNotExists: value });

/**
 * `SET #field = :field, …` (a field whose value is undefined is left as it stands) and
 * `REMOVE #field, …`. The names a condition uses (#seq, #status, #runId) are always declared.
 */
export function updateExpression(set: Record<string, unknown>, remove: readonly string[] = []): Update {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const assignments: string[] = [];
  for (const [field, value] of Object.entries(set)) {
    if (value === undefined) continue;
    names[`#${field}`] = field;
    if (typeof value === 'object' && value !== null && 'ifNotExists' in value) {
      values[`:${field}`] = value.ifNotExists;
      assignments.push(`#${field} = if_not_exists(#${field}, :${field})`);
    } else {
      values[`:${field}`] = value;
      assignments.push(`#${field} = :${field}`);
    }
  }
  for (const field of remove) names[`#${field}`] = field;
  const removal = remove.length > 0 ? ` REMOVE ${remove.map((field) => `#${field}`).join(', ')}` : '';
  return {
    UpdateExpression: `SET ${assignments.join(', ')}${removal}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** Unix seconds at which a task stopped now expires; undefined when stopped tasks are kept. */
export function expiry(nowMs: number, retentionSeconds: number): number | undefined {
  return retentionSeconds > 0 ? Math.floor(nowMs / 1000) + retentionSeconds : undefined;
}

export function joinCondition(update: Update, { expression, values }: Condition) {
  return {
    ConditionExpression: expression,
    ExpressionAttributeNames: {
      ...update.ExpressionAttributeNames,
      '#seq': 'seq',
      '#status': 'status',
      '#runId': 'runId',
    },
    ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ...values },
  };
}

/**
 * One conditional update of a task: the item as written, or, when the condition failed, the item as
 * it stands (undefined when there is none), as DynamoDB returns it with the refusal.
 */
export async function updateTaskIf(
  { Key, ExpressionAttributeNames, ExpressionAttributeValues, ...input }: ConditionalUpdate,
  client: DynamoDBClient,
): Promise<
  { written: MixTask } | { current: MixTask | undefined; refusal: ConditionalCheckFailedException }
> {
  try {
    const { Attributes } = await client.send(
      new UpdateItemCommand({
        ...input,
        Key: toAttributes(Key),
        // DynamoDB refuses a name or value that no expression uses.
        ExpressionAttributeNames: used(ExpressionAttributeNames, input),
        ExpressionAttributeValues: toAttributes(used(ExpressionAttributeValues, input)),
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { written: fromAttributes(Attributes) };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    return { current: error.Item ? fromAttributes(error.Item) : undefined, refusal: error };
  }
}

/** The entries whose placeholder (`#name`, `:value`) an expression holds. */
function used<T>(
  entries: Record<string, T>,
  {
    UpdateExpression,
    ConditionExpression,
  }: Pick<ConditionalUpdate, 'UpdateExpression' | 'ConditionExpression'>,
): Record<string, T> {
  const placeholders = new Set(`${UpdateExpression} ${ConditionExpression}`.match(/[#:]\w+/g));
  return Object.fromEntries(Object.entries(entries).filter(([placeholder]) => placeholders.has(placeholder)));
}

interface ConditionalUpdate {
  TableName: string;
  Key: TaskKey;
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
}
