import { createHash } from 'node:crypto';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  paginateQuery,
  paginateScan,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, NumberValueImpl as NumberValue, unmarshall } from '@aws-sdk/util-dynamodb';
import type { QueuedMixStart, QueuedMixStop, Reconciliation } from '../queue/message';
import * as z from '../zod';
import { dynamoClient } from './dynamodb-client';

/** A DynamoDB number as read (wrapped, so no digit is lost) or as written. */
const number = z.pipe(
  z.union([z.number(), z.instanceof(NumberValue)]),
  z.transform((value) => Number(String(value))),
);
const optionalNumber = z.optional(number);
const optionalText = z.optional(z.string());
const urls = z.optional(z.array(z.string()));

/**
 * One item per mix task (appid + task_id) in the tasks table, checked as it is read: this module
 * is the only one that reads or writes the table, and an item it cannot read is an error, not a
 * guess.
 */
const mixTaskItem = z.pipe(
  z.object({
    appid: z.string(),
    task_id: z.string(),
    /** Set when `task_id` is the hash of a task id too long for a key (taskKey). */
    fullTaskId: optionalText,
    status: z.enum(['running', 'stopped']),
    /** The seq of the callback that last changed the task, every digit kept. */
    seq: z.pipe(
      z.pipe(z.union([z.string(), z.number(), z.instanceof(NumberValue)]), z.transform(String)),
      z.string().check(z.regex(/^\d+$/)),
    ),
    /** ZEGO's timestamps (Unix seconds) and our receive times (ISO 8601). */
    startedAt: optionalNumber,
    startReceivedAt: optionalText,
    stoppedAt: optionalNumber,
    stopReceivedAt: optionalText,
    channel_id: optionalText,
    publish_id: optionalText,
    mix_url: optionalText,
    mix_stream_alias: optionalText,
    stream_alias: optionalText,
    rtmp_urls: urls,
    hls_urls: urls,
    hdl_urls: urls,
    updatedAt: z.string(),
    /** Unix seconds; DynamoDB TTL removes stopped tasks after the retention. */
    expiresAt: optionalNumber,
    /** Running tasks only: ZEGO's start time. Keys the sparse `running` index the orphan check reads. */
    runningSince: optionalNumber,
    /** When the orphan check reported this run of the task (ISO 8601). */
    orphanReportedAt: optionalText,
    /** How the stop was learned: its mix_stop, or reconciliation (ZEGO no longer knew the task). */
    stoppedBy: z.optional(z.enum(['callback', 'reconciliation'])),
    /**
     * When reconciliation stopped this run (ISO 8601). Kept when a genuine mix_stop of the run comes
     * later (onMixStopped has run already); a new mix_start removes it.
     */
    reconciledAt: optionalText,
  }),
  z.transform(({ fullTaskId, ...task }) => ({ ...task, task_id: fullTaskId ?? task.task_id })),
);

export type MixTask = z.output<typeof mixTaskItem>;
export type TaskStatus = MixTask['status'];

/**
 * The item key of a task. DynamoDB refuses a sort key over 1,024 UTF-8 bytes, and ZEGO splices long
 * task ids from other parameters, so a task_id that does not fit (or that looks like a hashed key
 * itself) is keyed by its SHA-256, and the item keeps the whole id in `fullTaskId`.
 */
export function taskKey(appid: string, taskId: string): TaskKey {
  const fits = Buffer.byteLength(taskId, 'utf8') <= MAX_SORT_KEY_BYTES && !taskId.startsWith(HASHED_KEY);
  return {
    appid,
    task_id: fits ? taskId : `${HASHED_KEY}${createHash('sha256').update(taskId, 'utf8').digest('hex')}`,
  };
}

export type TaskKey = { appid: string; task_id: string };

const MAX_SORT_KEY_BYTES = 1_024;
const HASHED_KEY = 'sha256:';

/** The sparse index of running tasks (serverless.yml, TasksTable). */
export const RUNNING_INDEX = 'running';

/**
 * - applied: this callback changed the task;
 * - already_applied: this very callback (same seq) changed it before; a retry, e.g. after a hook failed;
 * - stale: a callback with a higher seq already changed it; nothing was written.
 */
export type ApplyOutcome = 'applied' | 'already_applied' | 'stale';

export interface ApplyResult {
  outcome: ApplyOutcome;
  task: MixTask;
}

export interface TaskStoreOptions {
  tableName: string;
  /** How long a stopped task is kept, in seconds; 0 keeps it forever. */
  stoppedRetentionSeconds: number;
  /** Current time in milliseconds. */
  now?: () => number;
  client?: DynamoDBClient;
}

type MixEvent = QueuedMixStart | QueuedMixStop;

/**
 * Records a mix_start (running) or mix_stop (stopped) on its task, ordered by seq: a callback
 * whose seq is not above the task's is not written, so a late mix_start never resurrects a stopped
 * task. The order is enforced by a conditional write, never by reading first.
 */
export async function applyMixEvent(
  callback: MixEvent,
  receivedAt: string,
  { tableName, stoppedRetentionSeconds, now = Date.now, client = dynamoClient }: TaskStoreOptions,
): Promise<ApplyResult> {
  const update = mixUpdate(callback, receivedAt, now(), stoppedRetentionSeconds);
  const result = await updateTaskIf(
    {
      TableName: tableName,
      Key: taskKey(callback.appid, callback.task_id),
      UpdateExpression: update.expression,
      ConditionExpression: 'attribute_not_exists(#seq) OR #seq < :seq',
      ExpressionAttributeNames: update.names,
      ExpressionAttributeValues: update.values,
    },
    client,
  );
  if ('written' in result) return { outcome: 'applied', task: result.written };
  const { current, refusal } = result;
  if (!current) throw new Error('conditional write failed but the task does not exist', { cause: refusal });
  const outcome = BigInt(current.seq) === BigInt(callback.seq) ? 'already_applied' : 'stale';
  return { outcome, task: current };
}

/** What applyReconciliation did; `task` is absent only when the task is not in the table at all. */
export type ReconcileResult =
  | { outcome: 'applied' | 'already_applied'; task: MixTask }
  | { outcome: 'stale'; task: MixTask | undefined };

/**
 * Stops a task that ZEGO no longer knows (the scheduled check asked it), only if it is still the
 * run the check saw: `running` with the same seq. Anything newer (its genuine mix_stop, a new
 * mix_start) got there first and wins: `stale`, nothing written. The stop time is the check's
 * (the mix ended before it), and the task leaves the running index as with a mix_stop.
 * `already_applied`: this very reconciliation (same seq and reconciledAt) stopped it before; a
 * retry, e.g. after the hook failed.
 */
export async function applyReconciliation(
  reconciliation: Reconciliation,
  { tableName, stoppedRetentionSeconds, now = Date.now, client = dynamoClient }: TaskStoreOptions,
): Promise<ReconcileResult> {
  const { appid, task_id, seq, checkedAt } = reconciliation;
  const nowMs = now();
  const values: Record<string, unknown> = {
    ':running': 'running',
    ':stopped': 'stopped',
    ':seq': NumberValue.from(seq),
    ':by': 'reconciliation',
    ':at': checkedAt,
    ':stoppedAt': Math.floor(Date.parse(checkedAt) / 1000),
    ':updatedAt': new Date(nowMs).toISOString(),
  };
  const set = [
    '#status = :stopped',
    'stoppedBy = :by',
    'reconciledAt = :at',
    'stoppedAt = :stoppedAt',
    'updatedAt = :updatedAt',
  ];
  if (stoppedRetentionSeconds > 0) {
    values[':expiresAt'] = Math.floor(nowMs / 1000) + stoppedRetentionSeconds;
    set.push('expiresAt = :expiresAt');
  }
  const result = await updateTaskIf(
    {
      TableName: tableName,
      Key: taskKey(appid, task_id),
      UpdateExpression: `SET ${set.join(', ')} REMOVE runningSince`,
      // Also false when the item does not exist: a reconciliation never creates a task.
      ConditionExpression: '#status = :running AND #seq = :seq',
      ExpressionAttributeNames: { '#status': 'status', '#seq': 'seq' },
      ExpressionAttributeValues: values,
    },
    client,
  );
  if ('written' in result) return { outcome: 'applied', task: result.written };
  const { current } = result;
  const same =
    current?.status === 'stopped' &&
    current.stoppedBy === 'reconciliation' &&
    current.reconciledAt === checkedAt &&
    BigInt(current.seq) === BigInt(seq);
  return same && current
    ? { outcome: 'already_applied', task: current }
    : { outcome: 'stale', task: current };
}

/**
 * One conditional update of a task: the item as written, or, when the condition failed, the item as
 * it stands (undefined when there is none). Engines that do not return the old item on a failed
 * condition (some local ones) are read once, consistently.
 */
async function updateTaskIf(
  { Key, ExpressionAttributeValues, ...input }: ConditionalUpdate,
  client: DynamoDBClient,
): Promise<
  { written: MixTask } | { current: MixTask | undefined; refusal: ConditionalCheckFailedException }
> {
  try {
    const { Attributes } = await client.send(
      new UpdateItemCommand({
        ...input,
        Key: toAttributes(Key),
        ExpressionAttributeValues: toAttributes(ExpressionAttributeValues),
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { written: fromAttributes(Attributes) };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    if (error.Item) return { current: fromAttributes(error.Item), refusal: error };
    return { current: await readTask(input.TableName, Key, client), refusal: error };
  }
}

interface ConditionalUpdate {
  TableName: string;
  Key: TaskKey;
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
}

/**
 * Items are written and read through util-dynamodb, as the document client would (which refuses a
 * client with cached middleware, lib/store/dynamodb-client.ts). An undefined value is refused before
 * anything is sent (mixUpdate leaves out the fields a callback lacks); numbers are read wrapped
 * (NumberValue) so a seq past 2^53 keeps every digit, and the schema converts them field by field.
 */
function toAttributes(values: Record<string, unknown>): Record<string, AttributeValue> {
  return marshall(values);
}

function fromAttributes(item: Record<string, AttributeValue> | undefined): MixTask {
  return toTask(item && unmarshall(item, { wrapNumbers: true }));
}

export async function getTask(
  appid: string,
  taskId: string,
  { tableName, client = dynamoClient }: Pick<TaskStoreOptions, 'tableName' | 'client'>,
): Promise<MixTask | undefined> {
  return readTask(tableName, taskKey(appid, taskId), client);
}

/** The item under `key`, read consistently (a write just before it is seen); undefined when none. */
async function readTask(
  tableName: string,
  key: TaskKey,
  client: DynamoDBClient,
): Promise<MixTask | undefined> {
  const { Item } = await client.send(
    new GetItemCommand({ TableName: tableName, Key: toAttributes(key), ConsistentRead: true }),
  );
  return Item ? fromAttributes(Item) : undefined;
}

/** Every task of the table, or of one of its indexes (the sparse `running` one), all pages. */
export async function scanTasks(
  { tableName, client = dynamoClient }: Pick<TaskStoreOptions, 'tableName' | 'client'>,
  indexName?: string,
): Promise<MixTask[]> {
  const tasks: MixTask[] = [];
  for await (const page of paginateScan({ client }, { TableName: tableName, IndexName: indexName })) {
    tasks.push(...(page.Items ?? []).map(fromAttributes));
  }
  return tasks;
}

/** Every task of one app, all pages. */
export async function queryTasks(
  appid: string,
  { tableName, client = dynamoClient }: Pick<TaskStoreOptions, 'tableName' | 'client'>,
): Promise<MixTask[]> {
  const tasks: MixTask[] = [];
  const query = {
    TableName: tableName,
    KeyConditionExpression: 'appid = :appid',
    ExpressionAttributeValues: toAttributes({ ':appid': appid }),
  };
  for await (const page of paginateQuery({ client }, query))
    tasks.push(...(page.Items ?? []).map(fromAttributes));
  return tasks;
}

/** Removes a task (the smoke test's, once it has seen it stop). */
export async function deleteTask(
  appid: string,
  taskId: string,
  { tableName, client = dynamoClient }: Pick<TaskStoreOptions, 'tableName' | 'client'>,
): Promise<void> {
  await client.send(
    new DeleteItemCommand({ TableName: tableName, Key: toAttributes(taskKey(appid, taskId)) }),
  );
}

/**
 * Marks this run of the task reported by the orphan check, unless it stopped or started again
 * meanwhile (then it answers false and changes nothing).
 */
export async function markOrphanReported(
  task: Pick<MixTask, 'appid' | 'task_id' | 'runningSince'>,
  at: string,
  { tableName, client = dynamoClient }: Pick<TaskStoreOptions, 'tableName' | 'client'>,
): Promise<boolean> {
  try {
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: toAttributes(taskKey(task.appid, task.task_id)),
        UpdateExpression: 'SET orphanReportedAt = :at',
        ConditionExpression: 'runningSince = :since AND attribute_not_exists(orphanReportedAt)',
        ExpressionAttributeValues: toAttributes({ ':at': at, ':since': task.runningSince }),
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

interface Update {
  expression: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
}

function mixUpdate(callback: MixEvent, receivedAt: string, nowMs: number, retentionSeconds: number): Update {
  const set: Record<string, unknown> = {
    status: callback.event === 'mix_start' ? 'running' : 'stopped',
    seq: NumberValue.from(callback.seq),
    updatedAt: new Date(nowMs).toISOString(),
    channel_id: callback.channel_id,
    publish_id: callback.publish_id,
    mix_url: callback.mix_url,
    mix_stream_alias: callback.mix_stream_alias,
    // Set only when the key is the task id's hash (taskKey).
    fullTaskId:
      taskKey(callback.appid, callback.task_id).task_id === callback.task_id ? undefined : callback.task_id,
  };
  const remove: string[] = [];
  if (callback.event === 'mix_start') {
    Object.assign(set, {
      startedAt: Number(callback.timestamp),
      runningSince: Number(callback.timestamp),
      startReceivedAt: receivedAt,
      stream_alias: callback.stream_alias,
      rtmp_urls: playUrls(callback.rtmp_urls, callback.rtmp_url),
      hls_urls: playUrls(callback.hls_urls, callback.hls_url),
      hdl_urls: playUrls(callback.hdl_urls, callback.hdl_url),
    });
    // A task id reused for a new run: the previous run's stop no longer applies.
    remove.push('stoppedAt', 'stopReceivedAt', 'expiresAt', 'orphanReportedAt', 'stoppedBy', 'reconciledAt');
  } else {
    // reconciledAt stays: it tells the consumer that this run's onMixStopped has run already.
    Object.assign(set, {
      stoppedAt: Number(callback.timestamp),
      stopReceivedAt: receivedAt,
      stoppedBy: 'callback',
    });
    remove.push('runningSince');
    if (retentionSeconds > 0) set.expiresAt = Math.floor(nowMs / 1000) + retentionSeconds;
  }

  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const assignments: string[] = [];
  for (const [field, value] of Object.entries(set)) {
    if (value === undefined) continue; // a field this callback lacks keeps what an earlier one set
    names[`#${field}`] = field;
    values[`:${field}`] = value;
    assignments.push(`#${field} = :${field}`);
  }
  for (const field of remove) names[`#${field}`] = field;
  const removal = ` REMOVE ${remove.map((field) => `#${field}`).join(', ')}`;
  return { expression: `SET ${assignments.join(', ')}${removal}`, names, values };
}

/** The docs list play URLs as arrays; one of their examples sends a single string instead. */
function playUrls(list: string[] | undefined, single: string | undefined): string[] | undefined {
  if (list && list.length > 0) return list;
  return single ? [single] : undefined;
}

/** An item as read (numbers wrapped) to a MixTask; an item of another shape is an error. */
export function toTask(item: Record<string, unknown> | undefined): MixTask {
  if (!item) throw new Error('DynamoDB returned no task item');
  const result = mixTaskItem.safeParse(item);
  if (result.success) return result.data;
  const where = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
  throw new Error(`a tasks table item is not a task (${where})`, { cause: result.error });
}
