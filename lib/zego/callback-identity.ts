import { createHash } from 'node:crypto';
import type { ZegoCallback } from './callback-schema';

/**
 * A callback's identity: which callback this is, however often and however signed ZEGO sends it.
 * ZEGO's seq echoes the Sequence of the app's own StartMix/StopMix request, which only has to
 * increase within one task, so two tasks may reuse a seq: the identity is appid + task_id + event +
 * seq (appid + event + seq for an event that carries no task_id). ZEGO's retries repeat all four.
 *
 * Written `appid:task_id:event:seq` (or `appid:event:seq`). It reads back unambiguously although a
 * task_id may hold any character: appid and seq are digits and an event name has no ":", so the last
 * two parts are event and seq, the first is appid and the rest is task_id.
 */
export function callbackIdentity(
  callback: Pick<ZegoCallback, 'appid' | 'event' | 'seq' | 'task_id'>,
): string {
  const { appid, event, seq, task_id } = callback;
  return task_id === undefined ? `${appid}:${event}:${seq}` : `${appid}:${task_id}:${event}:${seq}`;
}

/** The identity this project used before task_id joined it; only to recognise records written then. */
export function legacyIdentity(callback: Pick<ZegoCallback, 'appid' | 'event' | 'seq'>): string {
  return `${callback.appid}:${callback.event}:${callback.seq}`;
}

/**
 * What stands where a callback identity has its event name in a reconciliation's identity. It holds
 * "#", which no event name may (callback-schema.ts), so no callback identity can ever equal it.
 */
export const RECONCILE_MARK = '#reconcile';

/**
 * The identity of a reconciliation: the scheduled check found that ZEGO no longer knows the run of
 * the task whose seq is `seq`. Written `appid:task_id:#reconcile:seq`; the same for every check
 * that finds it, so the queue and the idempotency layer take it once, as they do a callback.
 */
export function reconciliationIdentity({
  appid,
  task_id,
  seq,
}: {
  appid: string;
  task_id: string;
  seq: string;
}): string {
  return `${appid}:${task_id}:${RECONCILE_MARK}:${seq}`;
}

/**
 * The callback's digest: a SHA-256 over every field as decoded except the signature, in a canonical
 * form (object keys sorted at every depth, JSON-escaped strings), lowercase hex. ZEGO's retry of a
 * callback has the same digest however it is encoded; any other body, even one that keeps the
 * identity and changes only a URL, has another.
 */
export function callbackDigest(callback: ZegoCallback): string {
  const { signature: _signature, ...fields } = callback;
  return createHash('sha256').update(canonicalJson(fields), 'utf8').digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const fields = value as Record<string, unknown>;
    // sort() without a comparator orders keys by UTF-16 code units; keys are never equal.
    const keys = Object.keys(fields).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(fields[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
