import { NumberValueImpl as NumberValue } from '@aws-sdk/util-dynamodb';
import type { QueuedMixStart, QueuedMixStop } from '../queue/message';
import { decide, FIRST_TRANSITION, runIdOf, type Transition } from '../run-life';
import {
  type Condition,
  expiry,
  ifNotExists,
  joinCondition,
  type Update,
  updateExpression,
  updateTaskIf,
} from './conditional-update';
import { dynamoClient } from './dynamodb-client';
import { type MixTask, runningShard, taskKey } from './task-item';
import type { TasksTable } from './task-reads';

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

/** The item is as it was read (absent, or with the same status and seq): nothing changed since. */
function unchanged(current: MixTask | undefined): Condition {
  if (!current) return { expression: 'attribute_not_exists(#seq)', values: {} };
  return {
    expression: '#status = :wasStatus AND #seq = :wasSeq',
    values: { ':wasStatus': current.status, ':wasSeq': NumberValue.from(current.seq) },
  };
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
