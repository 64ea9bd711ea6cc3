import type { MixTask, RunningTask } from '../../lib/store/task-item';
import { appTasks, getTask, runningTasks, type TasksTable } from '../../lib/store/task-reads';
import { printable } from '../../lib/text/printable';
import { LOCAL_APPID } from '../../tools/local-stack/defaults';
import { CommandFailedError, integer, parse, UsageError } from '../args';
import { explainAwsError, resolveTarget, TARGET_HELP, TARGET_OPTIONS } from '../target';

/** Tasks a listing prints unless told otherwise: enough to read, bounded whatever the table holds. */
const DEFAULT_LIMIT = 200;

/** Every field of a task, as the tasks table holds it (lib/store/task-item.ts) and --json prints it. */
const TASK_FIELDS: Record<keyof MixTask, string> = {
  appid: 'the app',
  task_id: 'the mix task',
  status: 'running after a mix_start, stopped after a mix_stop',
  seq: 'the seq of the callback that last changed the task (a string: every digit kept)',
  runId: 'the run the task is in: appid:task_id:<seq of the callback that began it>',
  startSeq: 'the seq of the mix_start that began this run (absent when its mix_stop came first)',
  stopSeq: 'the seq of the mix_stop that stopped this run (absent while running or when reconciled)',
  startedAt: "ZEGO's timestamp of the mix_start, Unix seconds",
  startReceivedAt: 'when the endpoint received the mix_start, ISO 8601',
  stoppedAt: "ZEGO's timestamp of the mix_stop, Unix seconds",
  stopReceivedAt: 'when the endpoint received the mix_stop, ISO 8601',
  channel_id: 'the room',
  publish_id: 'the publisher',
  mix_url: 'the output URL',
  mix_stream_alias: 'the output stream alias',
  stream_alias: 'from mix_start: the stream alias',
  rtmp_urls: 'from mix_start: the RTMP play URLs',
  hls_urls: 'from mix_start: the HLS play URLs',
  hdl_urls: 'from mix_start: the HTTP-FLV play URLs',
  updatedAt: 'the last change, ISO 8601',
  expiresAt: 'stopped tasks: when DynamoDB TTL deletes the item (taskRetentionDays), Unix seconds',
  runningSince: "running tasks: ZEGO's start time of the run, Unix seconds",
  runningShard: 'running tasks: which partition of the running index holds the task',
  checkAt: 'running tasks: when the scheduled check looks at the task next, Unix seconds',
  orphanReportedAt: 'when the orphan check reported this run as orphaned, ISO 8601',
  stoppedBy:
    'stopped tasks: what stopped the run, callback (a mix_stop) or reconciliation (ZEGO no longer knew the mix)',
  reconciledAt: 'when reconciliation stopped this run (kept if its mix_stop arrives later), ISO 8601',
};

/** Fields in Unix seconds: `zego task` shows each as a time too. */
const UNIX_SECONDS = new Set<string>(['startedAt', 'stoppedAt', 'expiresAt', 'runningSince', 'checkAt']);

const FIELDS_HELP = `Fields (--json prints them as stored; absent ones are left out):
${Object.entries(TASK_FIELDS)
  .map(([name, meaning]) => `  ${name.padEnd(17)} ${meaning}`)
  .join('\n')}`;

export const TASKS_HELP = `Usage: zego tasks [--appid A] [--status running|stopped] [--limit N] [--json] [target]

Lists mix tasks and their status. Times are UTC. Reads are queries, never a scan of the table:

  --appid A        this app's tasks, in task id order (locally: ${LOCAL_APPID} by default)
  --status S       only running or only stopped tasks. --status running without --appid lists the
                   running tasks of every app, from the running index, the next to be checked first
  --limit N        at most N tasks (default ${DEFAULT_LIMIT}; 0: all)
  --json           one JSON object per task and line, every field (a running task listed from the
                   index is read in full)

${FIELDS_HELP}

${TARGET_HELP}`;

export const TASKS_OPTIONS = {
  appid: { type: 'string' },
  status: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean', default: false },
  ...TARGET_OPTIONS,
} as const;

export const TASK_HELP = `Usage: zego task <task_id> [--appid A] [--json] [target]

Shows one mix task, every field; times in Unix seconds are shown in UTC too.

  --appid A        the task's app. Without it, the appid is taken from a task id of the form
                   "appid:..." (locally: ${LOCAL_APPID} otherwise)
  --json           the task as one JSON object

${FIELDS_HELP}

${TARGET_HELP}`;

export const TASK_OPTIONS = {
  appid: { type: 'string' },
  json: { type: 'boolean', default: false },
  ...TARGET_OPTIONS,
} as const;

export async function tasks(args: string[]): Promise<void> {
  const { values } = parse(args, TASKS_OPTIONS);
  if (values.help) return void console.log(TASKS_HELP);
  const { status } = values;
  if (status !== undefined && status !== 'running' && status !== 'stopped') {
    throw new UsageError(`--status must be running or stopped, not "${status}"`);
  }
  const limit = integer(values.limit, 'limit', DEFAULT_LIMIT);
  const target = resolveTarget(values);
  const table = { tableName: target.tasksTable, client: target.dynamo };
  const appid = values.appid ?? (target.local ? LOCAL_APPID : undefined);
  const fromIndex = status === 'running' && values.appid === undefined;
  if (!fromIndex && appid === undefined) {
    throw new UsageError(
      'give --appid A: tasks are read per app, by a query (--status running without --appid lists every app’s running tasks)',
    );
  }
  const listed = fromIndex
    ? fullTasks(runningTasks(table), table, values.json)
    : appTasks(appid ?? '', { ...table, status });
  const rows: string[][] = [];
  let count = 0;
  try {
    for await (const task of listed) {
      if (limit > 0 && count >= limit) {
        if (!values.json) rows.push([`… more: --limit ${limit * 10} or --limit 0 to see them`]);
        break;
      }
      count += 1;
      if (values.json) console.log(JSON.stringify(task));
      else rows.push(row(task));
    }
  } catch (error) {
    explainAwsError(error, target);
  }
  if (values.json) return;
  if (count === 0) return void console.log(`no tasks in ${target.description}`);
  printTable(['APPID', 'TASK', 'STATUS', 'SEQ', 'STARTED (UTC)', 'STOPPED (UTC)', 'ROOM'], rows);
}

type Listed = Pick<MixTask, 'appid' | 'task_id' | 'seq' | 'startedAt' | 'channel_id'> &
  Partial<Pick<MixTask, 'status' | 'stoppedAt'>>;

function row(task: Listed): string[] {
  return [
    task.appid,
    task.task_id,
    task.status ?? 'running',
    task.seq,
    time(task.startedAt),
    time(task.stoppedAt),
    task.channel_id ?? '',
  ].map((cell) => printable(cell, 60));
}

/** The index holds a few fields of each running task; --json prints every field, so reads each. */
async function* fullTasks(
  running: AsyncIterable<RunningTask>,
  table: TasksTable,
  full: boolean,
): AsyncGenerator<Listed | MixTask> {
  for await (const task of running) {
    if (!full) yield task;
    else {
      const stored = await getTask(task.appid, task.task_id, table);
      if (stored) yield stored;
    }
  }
}

export async function task(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, TASK_OPTIONS, true);
  if (values.help) return void console.log(TASK_HELP);
  const [taskId, ...extra] = positionals;
  if (!taskId || extra.length > 0) throw new UsageError('give exactly one task id, e.g. `zego task demo-1`');
  const target = resolveTarget(values);
  const appid = values.appid ?? /^(\d+):/.exec(taskId)?.[1] ?? (target.local ? LOCAL_APPID : undefined);
  if (appid === undefined) {
    throw new UsageError('give --appid A: a task is read by its app and id (its id has no "appid:" prefix)');
  }
  let found: MixTask | undefined;
  try {
    found = await getTask(appid, taskId, { tableName: target.tasksTable, client: target.dynamo });
  } catch (error) {
    explainAwsError(error, target);
  }
  if (!found)
    throw new CommandFailedError(
      `no task ${printable(taskId, 200)} of app ${appid} in ${target.description}; \`zego tasks --appid ${appid}\` lists the tasks there`,
    );
  if (values.json) return void console.log(JSON.stringify(found));
  for (const [key, value] of Object.entries(found)) {
    if (value === undefined) continue;
    const shown = UNIX_SECONDS.has(key)
      ? `${value} (${time(value as number)} UTC)`
      : Array.isArray(value)
        ? value.join(' ')
        : value;
    console.log(`${key.padEnd(18)} ${printable(String(shown), 400)}`);
  }
}

function time(seconds: number | undefined): string {
  return seconds === undefined ? '' : new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 19);
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  for (const row of [header, ...rows])
    console.log(
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    );
}
