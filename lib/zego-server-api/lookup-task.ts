import type { MixTaskInfoResult, UnknownResult } from './get-mix-task-info';
import { percentDecoded } from './percent-decode';

export type TaskLookup = (taskId: string) => Promise<MixTaskInfoResult>;

/**
 * The task ids to ask ZEGO about, in this order, each once: as stored (as ZEGO sent it: callbacks
 * carry `<appid>:<id>` when StartMix set the id), without the `<appid>:` prefix, then both again
 * percent-decoded once (ZEGO may have percent-encoded the id it sent). Which form GetMixTaskInfo wants
 * is not documented. Each form is one call.
 */
export function taskIdForms(appid: string, taskId: string): string[] {
  const decoded = percentDecoded(taskId);
  const forms = [taskId, withoutPrefix(appid, taskId), decoded, withoutPrefix(appid, decoded)];
  // An id that is only the prefix leaves no bare form; the id as stored is always asked.
  return [...new Set(forms.filter((form, index) => index === 0 || form !== ''))];
}

function withoutPrefix(appid: string, taskId: string): string {
  const prefix = `${appid}:`;
  return appid !== '' && taskId.startsWith(prefix) ? taskId.slice(prefix.length) : taskId;
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
