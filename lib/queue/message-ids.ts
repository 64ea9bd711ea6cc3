import { createHash } from 'node:crypto';
import { callbackIdentity } from '../zego/callback-identity';
import type { ZegoCallback } from '../zego/callback-schema';

/** SQS allows 1-128 characters of letters, digits and punctuation for both ids. */
const SQS_ID = /^[\x21-\x7e]{1,128}$/;

/** The callback's identity, so SQS stores it once however often ZEGO sends it. */
export function deduplicationId(callback: Pick<ZegoCallback, 'appid' | 'event' | 'seq' | 'task_id'>): string {
  return sqsId(callbackIdentity(callback));
}

/**
 * Events of one mix task share a group, so SQS delivers them in order while different tasks are
 * processed in parallel. Every event that carries a task_id joins its task's group; events without
 * one each get a group of their own. Since the group is part of the de-duplication id, SQS's
 * per-group de-duplication (serverless.yml) and a queue-wide one (the local engine) agree.
 */
export function messageGroupId(callback: Pick<ZegoCallback, 'appid' | 'event' | 'seq' | 'task_id'>): string {
  if (callback.task_id !== undefined) return sqsId(`${callback.appid}:${callback.task_id}`);
  return deduplicationId(callback);
}

/**
 * The raw value when SQS accepts it, else "h:" and its SHA-256. A raw value always holds a ":"
 * after digits, so it can never equal a hashed one.
 */
export function sqsId(raw: string): string {
  return SQS_ID.test(raw) ? raw : `h:${createHash('sha256').update(raw, 'utf8').digest('hex')}`;
}
