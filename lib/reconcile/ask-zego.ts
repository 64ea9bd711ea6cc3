import { setTimeout as delay } from 'node:timers/promises';
import type { MixTaskInfoResult, UnknownReason } from '../zego-server-api/get-mix-task-info';
import type { TaskInfoLookup } from './server-api-lookup';
import { taskIdForms, whyUnaskable } from './task-id-forms';

/**
 * What ZEGO said about one task, under every form of its id:
 * - `running`: ZEGO runs it under some form;
 * - `ended`: ZEGO says, under every form, that the task does not exist: the mix has ended;
 * - `unknown`: no conclusion (an error, a timeout, an unknown code): nothing changes;
 * - `throttled`: ZEGO stayed overloaded through the retries: ask nothing more this check;
 * - `unaskable`: no URL can ask about the id (whyUnaskable): never asked, never stopped here.
 */
export type ZegoAnswer =
  | { state: 'running' | 'ended' }
  | { state: 'unknown' | 'throttled'; reason: UnknownReason; detail: string }
  | { state: 'unaskable'; detail: string };

export interface AskZegoOptions {
  /** One GetMixTaskInfo call for one task-id form. */
  lookup: TaskInfoLookup;
  /** First wait after a throttled call; doubles on each retry. */
  throttleBackoffMs?: number;
  /** Retries of a throttled call before the answer is `throttled`. */
  maxThrottleRetries?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Asks ZEGO about a task under each of its id forms (taskIdForms), in order. Never declares a
 * running mix ended: `running` as soon as one form is running, `ended` only when every form is not
 * found, `unknown` otherwise, with the first unknown answer. A call throttled through its retries
 * ends the lookup at once: the task can no longer be `ended`, and more calls only add to ZEGO's load.
 * Never throws.
 */
export async function askZego(
  { appid, task_id }: { appid: string; task_id: string },
  { lookup, throttleBackoffMs = 1_000, maxThrottleRetries = 3, sleep = (ms) => delay(ms) }: AskZegoOptions,
): Promise<ZegoAnswer> {
  const unaskable = whyUnaskable(task_id);
  if (unaskable !== undefined) return { state: 'unaskable', detail: unaskable };
  let firstUnknown: ZegoAnswer | undefined;
  for (const form of taskIdForms(appid, task_id)) {
    let result = await safely(lookup, appid, form);
    for (let retry = 0; retry < maxThrottleRetries && isThrottled(result); retry++) {
      await sleep(throttleBackoffMs * 2 ** retry);
      result = await safely(lookup, appid, form);
    }
    if (result.state === 'running') return { state: 'running' };
    if (result.state === 'unknown') {
      const { reason, detail } = result;
      if (reason === 'throttled') return { state: 'throttled', reason, detail };
      firstUnknown ??= { state: 'unknown', reason, detail };
    }
  }
  return firstUnknown ?? { state: 'ended' };
}

function isThrottled(result: MixTaskInfoResult): boolean {
  return result.state === 'unknown' && result.reason === 'throttled';
}

async function safely(lookup: TaskInfoLookup, appid: string, taskId: string): Promise<MixTaskInfoResult> {
  try {
    return await lookup(appid, taskId);
  } catch (error) {
    const what = error instanceof Error ? error.name : typeof error;
    return { state: 'unknown', reason: 'internal', detail: `the lookup threw ${what}` };
  }
}
