import { getTask, type MixTask, queryTasks, scanTasks } from '../../lib/store/task-store';
import { printable } from '../../lib/text/printable';
import { CommandFailedError, parse, UsageError } from '../args';
import { explainAwsError, resolveTarget, TARGET_HELP, TARGET_OPTIONS } from '../target';

/** Every field of a task, as the tasks table holds it (lib/store/task-store.ts) and --json prints it. */
export const TASK_FIELDS: Record<keyof MixTask, string> = {
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
  runningSince: 'running tasks: the mix_start timestamp the orphan check reads (its index key), Unix seconds',
  orphanReportedAt: 'when the orphan check reported this run as orphaned, ISO 8601',
  stoppedBy:
    'stopped tasks: what stopped the run, callback (a mix_stop) or reconciliation (ZEGO no longer knew the mix)',
  reconciledAt: 'when reconciliation stopped this run (kept if its mix_stop arrives later), ISO 8601',
};

/** Fields in Unix seconds: `zego task` shows each as a time too. */
const UNIX_SECONDS = new Set<string>(['startedAt', 'stoppedAt', 'expiresAt', 'runningSince']);

const FIELDS_HELP = `Fields (--json prints them as stored; absent ones are left out):
${Object.entries(TASK_FIELDS)
  .map(([name, meaning]) => `  ${name.padEnd(17)} ${meaning}`)
  .join('\n')}`;

export const TASKS_HELP = `Usage: zego tasks [--appid A] [--status running|stopped] [--json] [target]

Lists mix tasks and their status, newest change first. Times are UTC.

  --appid A        only this app's tasks (a query; without it the table is scanned)
  --status S       only running or only stopped tasks
  --json           one JSON object per task and line, every field

${FIELDS_HELP}

${TARGET_HELP}`;

export const TASKS_OPTIONS = {
  appid: { type: 'string' },
  status: { type: 'string' },
  json: { type: 'boolean', default: false },
  ...TARGET_OPTIONS,
} as const;

export const TASK_HELP = `Usage: zego task <task_id> [--appid A] [--json] [target]

Shows one mix task, every field; times in Unix seconds are shown in UTC too.

  --appid A        the task's app. Without it, the appid is taken from a task id of the form
                   "appid:...", or the table is scanned for the task id
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
  if (values.status && !['running', 'stopped'].includes(values.status)) {
    throw new UsageError(`--status must be running or stopped, not "${values.status}"`);
  }
  const target = resolveTarget(values);
  let found: MixTask[];
  try {
    found = values.appid
      ? await queryTasks(values.appid, { tableName: target.tasksTable, client: target.dynamo })
      : await scanTasks({ tableName: target.tasksTable, client: target.dynamo });
  } catch (error) {
    explainAwsError(error, target);
  }
  const shown = found
    .filter((task) => !values.status || task.status === values.status)
    .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  if (values.json) {
    for (const task of shown) console.log(JSON.stringify(task));
    return;
  }
  if (shown.length === 0) return void console.log(`no tasks in ${target.description}`);
  const rows = shown.map((task) =>
    [
      task.appid,
      task.task_id,
      task.status,
      task.seq,
      time(task.startedAt),
      time(task.stoppedAt),
      task.channel_id ?? '',
    ].map((cell) => printable(cell, 60)),
  );
  printTable(['APPID', 'TASK', 'STATUS', 'SEQ', 'STARTED (UTC)', 'STOPPED (UTC)', 'ROOM'], rows);
}

export async function task(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, TASK_OPTIONS, true);
  if (values.help) return void console.log(TASK_HELP);
  const [taskId, ...extra] = positionals;
  if (!taskId || extra.length > 0) throw new UsageError('give exactly one task id, e.g. `zego task demo-1`');
  const target = resolveTarget(values);
  let found: MixTask | undefined;
  try {
    const appid = values.appid ?? /^(\d+):/.exec(taskId)?.[1];
    found = appid
      ? await getTask(appid, taskId, { tableName: target.tasksTable, client: target.dynamo })
      : (await scanTasks({ tableName: target.tasksTable, client: target.dynamo })).find(
          (t) => t.task_id === taskId,
        );
  } catch (error) {
    explainAwsError(error, target);
  }
  if (!found)
    throw new CommandFailedError(
      `no task ${printable(taskId, 200)} in ${target.description}; \`zego tasks\` lists the tasks there`,
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
