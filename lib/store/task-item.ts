import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, NumberValueImpl as NumberValue, unmarshall } from '@aws-sdk/util-dynamodb';
import { runIdOf } from '../run-life';
import * as z from '../zod';

/** A DynamoDB number as read (wrapped, so no digit is lost) or as written. */
const number = z.pipe(
  z.union([z.number(), z.instanceof(NumberValue)]),
  z.transform((value) => Number(String(value))),
);
const optionalNumber = z.optional(number);
/** A seq, every digit kept: read wrapped, or written as text or a number. */
const seq = z.pipe(
  z.pipe(z.union([z.string(), z.number(), z.instanceof(NumberValue)]), z.transform(String)),
  z.string().check(z.regex(/^\d+$/)),
);
const optionalText = z.optional(z.string());
const urls = z.optional(z.array(z.string()));

/**
 * One item per mix task (appid + task_id) in the tasks table, checked as it is read: lib/store is
 * the only code that reads or writes the table, and an item it cannot read is an error, not a guess.
 */
const mixTaskItem = z.pipe(
  z.object({
    appid: z.string(),
    task_id: z.string(),
    /** Set when `task_id` is the hash of a task id too long for a key (taskKey). */
    fullTaskId: optionalText,
    status: z.enum(['running', 'stopped']),
    /** The seq of the callback that last changed the task, every digit kept. */
    seq,
    /** The run the task is in (lib/run-life.ts); absent on items written before runs had ids. */
    runId: optionalText,
    /** The seqs of the mix_start that began this run and of the mix_stop that stopped it. */
    startSeq: z.optional(seq),
    stopSeq: z.optional(seq),
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
    /** Running tasks only: ZEGO's start time (Unix seconds). */
    runningSince: optionalNumber,
    /** Running tasks only: the running index's keys (RUNNING_INDEX). */
    runningShard: optionalNumber,
    checkAt: optionalNumber,
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
  z.transform(({ fullTaskId, ...item }) => {
    const task = { ...item, task_id: fullTaskId ?? item.task_id };
    return item.runId === undefined ? withLegacyRun(task) : { ...task, runId: item.runId };
  }),
);

/**
 * An item written before runs had ids: its run is taken to have begun with the callback that last
 * changed it, which is also the one its stop (if any) came from, unless reconciliation stopped it.
 * The next write gives the item this id for good (mixUpdate).
 */
function withLegacyRun<T extends { appid: string; task_id: string; seq: string; status: string }>(
  task: T & { stoppedBy?: 'callback' | 'reconciliation' | undefined; reconciledAt?: string | undefined },
) {
  const runId = runIdOf(task.appid, task.task_id, task.seq);
  if (task.status === 'running') return { ...task, runId, startSeq: task.seq };
  if (task.stoppedBy === 'reconciliation' || task.reconciledAt !== undefined) return { ...task, runId };
  return { ...task, runId, stopSeq: task.seq, stoppedBy: 'callback' as const };
}

export type MixTask = z.output<typeof mixTaskItem>;
export type TaskStatus = MixTask['status'];

/**
 * A running task as the running index holds it: its keys and the few attributes the index projects
 * (serverless.yml, TasksTable), enough to reconcile it, report it and list it. getTask reads the
 * rest.
 */
const runningTaskItem = z.pipe(
  z.object({
    appid: z.string(),
    task_id: z.string(),
    fullTaskId: optionalText,
    seq,
    runId: optionalText,
    runningSince: number,
    checkAt: number,
    startedAt: optionalNumber,
    channel_id: optionalText,
    orphanReportedAt: optionalText,
  }),
  z.transform(({ fullTaskId, runId, ...item }) => {
    const task_id = fullTaskId ?? item.task_id;
    return { ...item, task_id, runId: runId ?? runIdOf(item.appid, task_id, item.seq) };
  }),
);

export type RunningTask = z.output<typeof runningTaskItem>;

/** The attributes the running index projects besides its keys and the table's (serverless.yml). */
export const RUNNING_INDEX_ATTRIBUTES = [
  'fullTaskId',
  'seq',
  'runId',
  'runningSince',
  'startedAt',
  'channel_id',
  'orphanReportedAt',
] as const;

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

/**
 * The sparse index of running tasks (serverless.yml, TasksTable). Only a running task carries its
 * keys: `runningShard` (which of RUNNING_SHARDS partitions it is in) and `checkAt` (when the
 * scheduled check should next look at it), so the check reads only the running tasks that are due,
 * most overdue first, page by page, however many run.
 */
export const RUNNING_INDEX = 'running-by-shard';

/**
 * One app's running tasks are spread over this many index partitions: each takes about 1,000
 * writes a second, and a running task writes the index when it starts, updates, is checked and
 * stops. 32 carry 100 times a million tasks a day with peaks 3 times the average (docs/scale.md).
 * Readers read every shard, so it may grow (never shrink) without moving an item.
 */
export const RUNNING_SHARDS = 32;

/** The shard of a task in the running index: the same for every write of the task. */
export function runningShard(appid: string, taskId: string): number {
  return createHash('sha256').update(`${appid}:${taskId}`, 'utf8').digest().readUInt32BE(0) % RUNNING_SHARDS;
}

/**
 * Items are written and read through util-dynamodb, as the document client would (which refuses a
 * client with cached middleware, lib/store/dynamodb-client.ts). An undefined value is refused before
 * anything is sent (mixUpdate leaves out the fields a callback lacks); numbers are read wrapped
 * (NumberValue) so a seq past 2^53 keeps every digit, and the schema converts them field by field.
 */
export function toAttributes(values: Record<string, unknown>): Record<string, AttributeValue> {
  return marshall(values);
}

export function fromAttributes(item: Record<string, AttributeValue> | undefined): MixTask {
  return toTask(item && unmarshall(item, { wrapNumbers: true }));
}

/** An item as read (numbers wrapped) to a MixTask; an item of another shape is an error. */
export function toTask(item: Record<string, unknown> | undefined): MixTask {
  if (!item) throw new Error('DynamoDB returned no task item');
  return parsed(mixTaskItem, item, 'a tasks table item is not a task');
}

/** An item of the running index to a RunningTask; an item of another shape is an error. */
export function fromRunningIndex(item: Record<string, AttributeValue>): RunningTask {
  return parsed(
    runningTaskItem,
    unmarshall(item, { wrapNumbers: true }),
    'a running index item is not a running task',
  );
}

function parsed<S extends z.ZodMiniType>(schema: S, item: unknown, what: string): z.output<S> {
  const result = schema.safeParse(item);
  if (result.success) return result.data;
  throw new Error(`${what} (${z.describeIssues(result.error)})`, { cause: result.error });
}
