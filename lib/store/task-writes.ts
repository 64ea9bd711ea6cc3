import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { NumberValueImpl as NumberValue } from '@aws-sdk/util-dynamodb';
import type { QueuedMixStart, QueuedMixStop, Reconciliation } from '../queue/message';
import { decide, FIRST_TRANSITION, runIdOf, type Transition } from '../run-life';
import { dynamoClient } from './dynamodb-client';
import {
  fromAttributes,
  type MixTask,
  type RunningTask,
  runningShard,
  type TaskKey,
  taskKey,
  toAttributes,
} from './task-item';
import type { TasksTable } from './task-reads';

/**
 * The task store's writes: every one conditional on the state of the task it was decided from, so
 * the order of a task's callbacks holds whoever writes at the same time.
 */

/**
 * - applied: this callback changed the task (its `transition` says how);
 * - already_applied: this very callback made its transition before; a retry, e.g. after a hook failed;
 * - stale: the task holds something newer; nothing was written.
 */
export type ApplyOutcome = 'applied' | 'already_applied' | 'stale';

export interface ApplyResult {
  outcome: ApplyOutcome;
  transition: Transition;
  task: MixTask;
}

export interface TaskStoreOptions extends TasksTable {
  /** How long a stopped task is kept, in seconds; 0 keeps it forever. */
  stoppedRetentionSeconds: number;
  /** The scheduled check first looks at a running task this long after its start, in seconds. */
  firstCheckAfterSeconds?: number;
  /** Current time in milliseconds. */
  now?: () => number;
}

type MixEvent = QueuedMixStart | QueuedMixStop;

/** The transitions that write something. */
type Written = Exclude<Transition, 'stale'>;

/**
 * A write that lost to another one in between is decided again from what then stands; one task's
 * messages come in order through its FIFO group, so more than one retry means something is wrong.
 */
const MAX_WRITES = 3;

/**
 * Records a mix_start or mix_stop on its task as the run's life says (lib/run-life.ts), and says
 * which transition it made. Every write is conditional on the state it was decided from, so the
 * order holds whoever writes at the same time. The first write is made without reading, for the
 * commonest case (a start of a task not running, a stop of a running one); when its condition fails,
 * DynamoDB returns the item as it stands and the decision is made again from it.
 */
export async function applyMixEvent(
  callback: MixEvent,
  receivedAt: string,
  {
    tableName,
    stoppedRetentionSeconds,
    firstCheckAfterSeconds = 0,
    now = Date.now,
    client = dynamoClient,
  }: TaskStoreOptions,
): Promise<ApplyResult> {
  const event = { kind: callback.event, seq: callback.seq } as const;
  const key = taskKey(callback.appid, callback.task_id);
  const write = (transition: Written, current: MixTask | undefined) =>
    mixUpdate(transition, callback, current, {
      receivedAt,
      nowMs: now(),
      retentionSeconds: stoppedRetentionSeconds,
      firstCheckAfterSeconds,
    });

  let transition: Written = FIRST_TRANSITION[callback.event];
  let update = write(transition, undefined);
  let condition = FIRST_TRY[callback.event];
  for (let writes = 1; ; writes++) {
    const result = await updateTaskIf(
      { TableName: tableName, Key: key, ...update, ...joinCondition(update, condition) },
      client,
    );
    if ('written' in result) return { outcome: 'applied', transition, task: result.written };
    const { current, refusal } = result;
    let next: Written = FIRST_TRANSITION[callback.event]; // the task is gone by the time it is read
    if (current) {
      const decided = decide(current, event);
      if (decided.transition === 'stale' || decided.repeat) {
        const outcome = decided.repeat ? 'already_applied' : 'stale';
        return { outcome, transition: decided.transition, task: current };
      }
      next = decided.transition;
    }
    if (writes >= MAX_WRITES)
      throw new Error(`the task changed under ${MAX_WRITES} writes in a row`, { cause: refusal });
    transition = next;
    update = write(transition, current);
    condition = unchanged(current);
  }
}

/**
 * The first write's condition: the states in which the run's life (decide) makes this event's
 * commonest transition. A running task stopped by its first write must already have a run id (a
 * task written before run ids existed is read first, to give it one: see mixTaskItem).
 */
const FIRST_TRY: Record<MixEvent['event'], Condition> = {
  mix_start: {
    expression: 'attribute_not_exists(#seq) OR (#status = :stopped AND #seq < :seq)',
    values: { ':stopped': 'stopped' },
  },
  mix_stop: {
    expression:
      'attribute_not_exists(#seq) OR (#status = :running AND #seq <= :seq AND attribute_exists(#runId))',
    values: { ':running': 'running' },
  },
};

interface Condition {
  expression: string;
  values: Record<string, unknown>;
}

/** The item is as it was read (absent, or with the same status and seq): nothing changed since. */
function unchanged(current: MixTask | undefined): Condition {
  if (!current) return { expression: 'attribute_not_exists(#seq)', values: {} };
  return {
    expression: '#status = :wasStatus AND #seq = :wasSeq',
    values: { ':wasStatus': current.status, ':wasSeq': NumberValue.from(current.seq) },
  };
}

function joinCondition(update: Update, { expression, values }: Condition) {
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

/** What applyReconciliation did; `task` is absent only when the task is not in the table at all. */
export type ReconcileResult =
  | { outcome: 'applied' | 'already_applied'; transition: 'run_stopped'; task: MixTask }
  | { outcome: 'stale'; transition: 'stale'; task: MixTask | undefined };

/**
 * Stops a task that ZEGO no longer knows (the scheduled check asked it), only if it is still the
 * run the check saw: `running` with the same seq. Anything newer (its genuine mix_stop, a new
 * mix_start, an update) got there first and wins: `stale`, nothing written. The stop time is the
 * check's (the mix ended before it), and the task leaves the running index as with a mix_stop.
 * `already_applied`: this very reconciliation stopped the run before; a retry, e.g. after the hook
 * failed.
 */
export async function applyReconciliation(
  reconciliation: Reconciliation,
  { tableName, stoppedRetentionSeconds, now = Date.now, client = dynamoClient }: TaskStoreOptions,
): Promise<ReconcileResult> {
  const { appid, task_id, seq, checkedAt } = reconciliation;
  const nowMs = now();
  const update = updateExpression(
    {
      status: 'stopped',
      stoppedBy: 'reconciliation',
      reconciledAt: checkedAt,
      stoppedAt: Math.floor(Date.parse(checkedAt) / 1000),
      updatedAt: new Date(nowMs).toISOString(),
      expiresAt: expiry(nowMs, stoppedRetentionSeconds),
      // A task written before run ids existed: its run began with this seq (withLegacyRun).
      runId: ifNotExists(runIdOf(appid, task_id, seq)),
      startSeq: ifNotExists(NumberValue.from(seq)),
    },
    ['runningSince', 'runningShard', 'checkAt'],
  );
  const result = await updateTaskIf(
    {
      TableName: tableName,
      Key: taskKey(appid, task_id),
      ...update,
      // Also false when the item does not exist: a reconciliation never creates a task.
      ...joinCondition(update, {
        expression: '#status = :running AND #seq = :seq',
        values: { ':running': 'running', ':seq': NumberValue.from(seq) },
      }),
    },
    client,
  );
  if ('written' in result) return { outcome: 'applied', transition: 'run_stopped', task: result.written };
  const { current } = result;
  return decide(current, { kind: 'reconciliation', seq, checkedAt }).repeat && current
    ? { outcome: 'already_applied', transition: 'run_stopped', task: current }
    : { outcome: 'stale', transition: 'stale', task: current };
}

/**
 * One conditional update of a task: the item as written, or, when the condition failed, the item as
 * it stands (undefined when there is none), as DynamoDB returns it with the refusal.
 */
async function updateTaskIf(
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

/**
 * What the scheduled check leaves on a running task it looked at: when to look again and, when it
 * reported the run as orphaned, when. Written only if the task is still in the run the check read
 * (and not reported yet, when reporting); false when it stopped, started again or was updated
 * meanwhile, and nothing changed.
 */
export async function recordCheck(
  task: Pick<RunningTask, 'appid' | 'task_id' | 'runId' | 'seq'>,
  { checkAt, orphanReportedAt }: { checkAt: number; orphanReportedAt?: string },
  { tableName, client = dynamoClient }: TasksTable,
): Promise<boolean> {
  const update = updateExpression({ checkAt, orphanReportedAt });
  const condition = [
    '#runId = :runId AND #seq = :seq AND attribute_exists(runningShard)',
    ...(orphanReportedAt ? ['attribute_not_exists(orphanReportedAt)'] : []),
  ];
  try {
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: toAttributes(taskKey(task.appid, task.task_id)),
        UpdateExpression: update.UpdateExpression,
        ConditionExpression: condition.join(' AND '),
        ExpressionAttributeNames: { ...update.ExpressionAttributeNames, '#runId': 'runId', '#seq': 'seq' },
        ExpressionAttributeValues: toAttributes({
          ...update.ExpressionAttributeValues,
          ':runId': task.runId,
          ':seq': NumberValue.from(task.seq),
        }),
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

interface Update {
  UpdateExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
}

/** A value written only when the attribute is not there yet. */
interface IfNotExists {
  ifNotExists: unknown;
}
const ifNotExists = (value: unknown): IfNotExists => ({ ifNotExists: value });

/**
 * `SET #field = :field, …` (a field whose value is undefined is left as it stands) and
 * `REMOVE #field, …`. The names a condition uses (#seq, #status, #runId) are always declared.
 */
function updateExpression(set: Record<string, unknown>, remove: readonly string[] = []): Update {
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
function expiry(nowMs: number, retentionSeconds: number): number | undefined {
  return retentionSeconds > 0 ? Math.floor(nowMs / 1000) + retentionSeconds : undefined;
}

/**
 * What a callback's transition writes. `current` is the task as read, or undefined for the first
 * write (made without reading) or a task not in the table.
 */
function mixUpdate(
  transition: Written,
  callback: MixEvent,
  current: MixTask | undefined,
  {
    receivedAt,
    nowMs,
    retentionSeconds,
    firstCheckAfterSeconds,
  }: { receivedAt: string; nowMs: number; retentionSeconds: number; firstCheckAfterSeconds: number },
): Update {
  const { appid, task_id, seq } = callback;
  const fields = {
    seq: NumberValue.from(seq),
    updatedAt: new Date(nowMs).toISOString(),
    // Set only when the key is the task id's hash (taskKey).
    fullTaskId: taskKey(appid, task_id).task_id === task_id ? undefined : task_id,
  };
  // The run this callback belongs to; a task written before run ids existed gets its id, and the
  // seqs that began and stopped its run as read (withLegacyRun), for good now.
  const run = {
    runId: ifNotExists(current?.runId ?? runIdOf(appid, task_id, seq)),
    startSeq: current?.startSeq && ifNotExists(NumberValue.from(current.startSeq)),
    stopSeq: current?.stopSeq && ifNotExists(NumberValue.from(current.stopSeq)),
  };
  const mix = {
    channel_id: callback.channel_id,
    publish_id: callback.publish_id,
    mix_url: callback.mix_url,
    mix_stream_alias: callback.mix_stream_alias,
  };
  const stop = { stoppedAt: Number(callback.timestamp), stopReceivedAt: receivedAt };
  const expiresAt = expiry(nowMs, retentionSeconds);

  if (callback.event === 'mix_start') {
    const start = {
      ...mix,
      stream_alias: callback.stream_alias,
      rtmp_urls: playUrls(callback.rtmp_urls, callback.rtmp_url),
      hls_urls: playUrls(callback.hls_urls, callback.hls_url),
      hdl_urls: playUrls(callback.hdl_urls, callback.hdl_url),
    };
    // The running index's keys: a new run is first checked firstCheckAfterSeconds after its start.
    const since = Number(callback.timestamp);
    const index = { runningShard: runningShard(appid, task_id), checkAt: since + firstCheckAfterSeconds };
    // An update keeps the run's start and its next check (a task running from before the index
    // had shards joins it, due at once); a new run drops everything of the previous run's stop.
    if (transition === 'run_updated') {
      const joins = { runningShard: ifNotExists(index.runningShard), checkAt: ifNotExists(0) };
      return updateExpression({ ...fields, ...run, ...start, ...joins });
    }
    return updateExpression(
      {
        ...fields,
        ...start,
        status: 'running',
        runId: runIdOf(appid, task_id, seq),
        startSeq: NumberValue.from(seq),
        startedAt: since,
        runningSince: since,
        ...index,
        startReceivedAt: receivedAt,
      },
      [
        'stopSeq',
        'stoppedAt',
        'stopReceivedAt',
        'expiresAt',
        'orphanReportedAt',
        'stoppedBy',
        'reconciledAt',
      ],
    );
  }
  if (transition === 'stop_recorded') {
    // The run's stop (the one its hook saw) stays; a reconciled stop's time is only an upper bound,
    // so the genuine mix_stop's time replaces it.
    const genuineTime = current?.stoppedBy === 'reconciliation' ? stop : {};
    return updateExpression({ ...fields, ...run, ...genuineTime, expiresAt });
  }
  return updateExpression(
    {
      ...fields,
      ...run,
      ...mix,
      ...stop,
      status: 'stopped',
      stopSeq: NumberValue.from(seq),
      stoppedBy: 'callback',
      expiresAt,
    },
    ['runningSince', 'runningShard', 'checkAt'],
  );
}

/** The docs list play URLs as arrays; one of their examples sends a single string instead. */
function playUrls(list: string[] | undefined, single: string | undefined): string[] | undefined {
  if (list && list.length > 0) return list;
  return single ? [single] : undefined;
}
