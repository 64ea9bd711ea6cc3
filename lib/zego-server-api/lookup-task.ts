import type { MixTaskInfoResult, UnknownResult } from './get-mix-task-info';

export type TaskLookup = (taskId: string) => Promise<MixTaskInfoResult>;

/**
 * The task ids to ask ZEGO about: as stored (callbacks carry `<appid>:<id>` when StartMix set the
 * id), then without the `<appid>:` prefix. Which form GetMixTaskInfo wants is not documented.
 */
export function taskIdForms(appid: string, taskId: string): string[] {
  const prefix = `${appid}:`;
  const bare = appid !== '' && taskId.startsWith(prefix) ? taskId.slice(prefix.length) : '';
  return bare ? [taskId, bare] : [taskId];
}

/**
 * Looks a task up under each of its id forms. Never declares a running mix stopped:
 * - running as soon as one form is running;
 * - not_found only when every form is not_found;
 * - otherwise unknown, with the first unknown answer. A throttled answer ends the lookup at once:
 *   the task can no longer be not_found, and more calls only add to ZEGO's load.
 */
export async function lookUpTask(
  { appid, task_id }: { appid: string; task_id: string },
  lookup: TaskLookup,
): Promise<MixTaskInfoResult> {
  let firstUnknown: UnknownResult | undefined;
  for (const form of taskIdForms(appid, task_id)) {
    const result = await safely(lookup, form);
    if (result.state === 'running') return result;
    if (result.state === 'unknown') {
      firstUnknown ??= result;
      if (result.reason === 'throttled') break;
    }
  }
  return firstUnknown ?? { state: 'not_found' };
}

async function safely(lookup: TaskLookup, taskId: string): Promise<MixTaskInfoResult> {
  try {
    return await lookup(taskId);
  } catch (error) {
    const what = error instanceof Error ? error.name : typeof error;
    return { state: 'unknown', reason: 'internal', detail: `the lookup threw ${what}` };
  }
}
