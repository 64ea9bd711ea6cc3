import { type SecretBook, secretsFor } from '../zego/secrets';
import { ZEGO_API_CODE } from '../zego-server-api/codes';
import { getMixTaskInfo, type MixTaskInfoResult } from '../zego-server-api/get-mix-task-info';

export interface ServerApiLookupOptions {
  /** The ServerSecret(s) per appid, in the callback secret's format (lib/zego/secrets.ts). */
  book: SecretBook;
  /** `https://rtc-api.zego.im`, a regional host, or a local fake. */
  endpoint: string;
  /** Bounds each call, connecting to the answer's end. */
  timeoutMs: number;
  fetch?: typeof fetch;
  /** Current time in milliseconds: each call's Timestamp. */
  now?: () => number;
}

/** One GetMixTaskInfo call for one task-id form, as findEndedTasks asks for it. Never throws. */
export type TaskInfoLookup = (appid: string, taskId: string) => Promise<MixTaskInfoResult>;

/**
 * GetMixTaskInfo signed with the app's ServerSecret. A book listing `new,old` (a rotation under way)
 * is tried in that order while ZEGO answers "signature wrong", so the lookups go on whichever of the
 * two ZEGO holds. An appid the book has no secret for is an `unknown` answer, never a guess.
 */
export function serverApiLookup({
  book,
  endpoint,
  timeoutMs,
  fetch,
  now,
}: ServerApiLookupOptions): TaskInfoLookup {
  return async (appid, taskId) => {
    const secrets = secretsFor(book, appid);
    let result: MixTaskInfoResult = {
      state: 'unknown',
      reason: 'internal',
      detail: `no ServerSecret is configured for appid ${appid}`,
    };
    for (const serverSecret of secrets) {
      result = await getMixTaskInfo(taskId, { endpoint, appId: appid, serverSecret, timeoutMs, fetch, now });
      if (!(result.state === 'unknown' && result.code === ZEGO_API_CODE.signatureWrong)) break;
    }
    return result;
  };
}
