import { createHash } from 'node:crypto';
import { callbackIdentity, reconciliationIdentity } from '../zego/callback-identity';
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
  if (callback.task_id !== undefined) return taskGroupId(callback.appid, callback.task_id);
  return deduplicationId(callback);
}

/** The message group of a task: its callbacks and its reconciliations, in one order. */
export function taskGroupId(appid: string, taskId: string): string {
  return sqsId(`${appid}:${taskId}`);
}

/**
 * A reconciliation's identity (callback-identity.ts), which no callback identity can equal: each
 * check that finds the same run ended puts at most one message on the queue within SQS's window.
 */
export function reconciliationDeduplicationId(reconciliation: {
  appid: string;
  task_id: string;
  seq: string;
}): string {
  return sqsId(reconciliationIdentity(reconciliation));
}

/**
 * The raw value when SQS accepts it, else "h:" and its SHA-256. A raw value always holds a ":"
 * after digits, so it can never equal a hashed one.
 */
export function sqsId(raw: string): string {
  return SQS_ID.test(raw) ? raw : `h:${createHash('sha256').update(raw, 'utf8').digest('hex')}`;
}
