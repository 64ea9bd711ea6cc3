import { getTask, type MixTask, queryTasks, scanTasks } from '../../lib/store/task-store';
import { printable } from '../../lib/text/printable';
import { CommandFailedError, parse, UsageError } from '../args';
import { explainAwsError, resolveTarget, TARGET_HELP } from '../target';

export const TASKS_HELP = `Usage: zego tasks [--appid A] [--status running|stopped] [--json] [target]

Lists mix tasks and their status, newest change first.

  --appid A        only this app's tasks (a query; without it the table is scanned)
  --status S       only running or only stopped tasks
  --json           one JSON object per line

${TARGET_HELP}`;

export const TASK_HELP = `Usage: zego task <task_id> [--appid A] [--json] [target]

Shows one mix task. Without --appid, the appid is taken from a task id of the form "appid:..."
or the table is scanned for the task id.

${TARGET_HELP}`;

const targetOptions = { stage: { type: 'string' }, region: { type: 'string' } } as const;

export async function tasks(args: string[]): Promise<void> {
  const { values } = parse(args, {
    appid: { type: 'string' },
    status: { type: 'string' },
    json: { type: 'boolean', default: false },
    ...targetOptions,
  });
  if (values.help) return void console.log(TASKS_HELP);
  if (values.status && !['running', 'stopped'].includes(values.status)) {
    throw new UsageError(`--status must be running or stopped, not "${values.status}"`);
  }
  const target = resolveTarget(values);
  let found: MixTask[];
  try {
    found = values.appid
      ? await queryTasks(values.appid, { tableName: target.tasksTable, client: target.documents })
      : await scanTasks({ tableName: target.tasksTable, client: target.documents });
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
  printTable(['APPID', 'TASK', 'STATUS', 'SEQ', 'STARTED', 'STOPPED', 'ROOM'], rows);
}

export async function task(args: string[]): Promise<void> {
  const { values, positionals } = parse(
    args,
    { appid: { type: 'string' }, json: { type: 'boolean', default: false }, ...targetOptions },
    true,
  );
  if (values.help) return void console.log(TASK_HELP);
  const [taskId, ...extra] = positionals;
  if (!taskId || extra.length > 0) throw new UsageError('give exactly one task id');
  const target = resolveTarget(values);
  let found: MixTask | undefined;
  try {
    const appid = values.appid ?? /^(\d+):/.exec(taskId)?.[1];
    found = appid
      ? await getTask(appid, taskId, { tableName: target.tasksTable, client: target.documents })
      : (await scanTasks({ tableName: target.tasksTable, client: target.documents })).find(
          (t) => t.task_id === taskId,
        );
  } catch (error) {
    explainAwsError(error, target);
  }
  if (!found) throw new CommandFailedError(`no task ${taskId} in ${target.description}`);
  if (values.json) return void console.log(JSON.stringify(found));
  for (const [key, value] of Object.entries(found)) {
    if (value === undefined) continue;
    const shown =
      key === 'startedAt' || key === 'stoppedAt'
        ? `${value} (${time(value as number)})`
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
