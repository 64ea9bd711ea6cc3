import { setTimeout as sleep } from 'node:timers/promises';
import { getTask } from '../../lib/store/task-reads';
import { printable } from '../../lib/text/printable';
import { LOCAL_APPID } from '../../tools/local-stack/defaults';
import { driveFakeMix } from '../../tools/zego-fake/server-api';
import { CommandFailedError, parse, UsageError } from '../args';
import { explainAwsError, resolveTarget, runningLocalStack, type Target } from '../target';

export const KILL_MIX_HELP = `Usage: zego kill-mix <task_id> [--appid A]

Plays a mix that dies abnormally, against \`npm start\`: ZEGO's side forgets the task and sends no
mix_stop (as ZEGO does when a mixing process is terminated abnormally or a stop request fails).
The local scheduled check then asks ZEGO's (fake) server API about the task, finds it gone and stops
it: \`zego task <task_id>\` shows it stopped by reconciliation within a few seconds.

  --appid A   default ${LOCAL_APPID}`;

export const KILL_MIX_OPTIONS = { appid: { type: 'string', default: LOCAL_APPID } } as const;

export async function killMix(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, KILL_MIX_OPTIONS, true);
  if (values.help) return void console.log(KILL_MIX_HELP);
  const [taskId, ...extra] = positionals;
  if (!taskId || extra.length > 0) throw new UsageError('give exactly one task id');
  const { zegoApiUrl } = runningLocalStack({ localOnly: true });
  const target = resolveTarget({});
  const task = await runningTask(target, values.appid, taskId).catch((error: unknown) =>
    explainAwsError(error, target),
  );
  if (task?.status !== 'running') {
    throw new CommandFailedError(
      `no running task ${printable(taskId, 80)} (appid ${values.appid}) in the local stack${task ? ` (it is ${task.status})` : ''}: \`zego send --event start --task ${printable(taskId, 80)}\` starts one`,
    );
  }
  if (!zegoApiUrl)
    throw new CommandFailedError('the running npm start has no fake ZEGO server API: restart it');
  try {
    await driveFakeMix(zegoApiUrl, 'kill', values.appid, taskId);
  } catch (error) {
    throw new CommandFailedError(
      `could not reach npm start's fake ZEGO server API: ${(error as Error).message}`,
    );
  }
  console.log(
    `mix ${taskId} (appid ${values.appid}) ended without a mix_stop; the local check reconciles it within seconds`,
  );
}

/** The task, once running; a start just sent may take a moment to reach the table. */
async function runningTask(target: Target, appid: string, taskId: string) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const task = await getTask(appid, taskId, { tableName: target.tasksTable, client: target.dynamo });
    if (task?.status === 'running' || Date.now() > deadline) return task;
    await sleep(200);
  }
}
