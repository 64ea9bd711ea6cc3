import { percentDecoded } from '../text/percent-decode';

/**
 * The longest task id, in UTF-8 bytes, that a lookup asks about. ZEGO documents 255 bytes for each
 * field a spliced task id is made of (mix_url, stream alias, ids) and says such ids run to hundreds
 * of bytes; 1,024 holds several of them and the `<appid>:` prefix. Percent-encoded in the query it is
 * at most 3,072 characters, a URL of ~3.3 KB: well within the 8 KB request line HTTP servers and
 * proxies commonly accept. A longer id (the callback schema allows 4,096 characters) would ask in
 * vain on every check.
 */
export const MAX_TASK_ID_BYTES = 1024;

/**
 * Why ZEGO can never be asked about this task id, or undefined when it can. Checked on the id as
 * stored, the longest of its forms (taskIdForms only shortens it).
 */
export function whyUnaskable(taskId: string): string | undefined {
  if (taskId === '') return 'the task id is empty';
  // A URL would carry U+FFFD in its place: ZEGO's answer would be about another id.
  if (!taskId.isWellFormed()) return 'the task id is not Unicode text (a lone surrogate)';
  const bytes = Buffer.byteLength(taskId, 'utf8');
  if (bytes > MAX_TASK_ID_BYTES)
    return `the task id is ${bytes} bytes long; ids over ${MAX_TASK_ID_BYTES} bytes are not asked about`;
  return undefined;
}

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
