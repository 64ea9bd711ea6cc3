import { createHash } from 'node:crypto';
import { isMixEvent, type ZegoCallback } from '../zego/callback-schema';

/** SQS allows 1-128 characters of letters, digits and punctuation for both ids. */
const SQS_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * One id per callback, however often ZEGO sends it: appid, event and seq. Scoped by appid and
 * event so two apps, or a start and a stop with the same seq, never collide.
 */
export function deduplicationId(callback: Pick<ZegoCallback, 'appid' | 'event' | 'seq'>): string {
  return sqsId(`${callback.appid}:${callback.event}:${callback.seq}`);
}

/**
 * Events of one mix task share a group, so SQS delivers them in order while different tasks are
 * processed in parallel. Events without a task (types ZEGO may add) each get their own group.
 */
export function messageGroupId(callback: ZegoCallback): string {
  if (isMixEvent(callback.event) && 'task_id' in callback && typeof callback.task_id === 'string') {
    return sqsId(`${callback.appid}:${callback.task_id}`);
  }
  return deduplicationId(callback);
}

/**
 * The raw value when SQS accepts it, else "h:" and its SHA-256. A raw value always holds a ":"
 * after digits, so it can never equal a hashed one.
 */
export function sqsId(raw: string): string {
  return SQS_ID.test(raw) ? raw : `h:${createHash('sha256').update(raw, 'utf8').digest('hex')}`;
}
