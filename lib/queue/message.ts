import { BodyTooLargeError, PoisonMessageError } from '../errors';
import {
  callbackEnvelopeSchema,
  mixStartSchema,
  mixStopSchema,
  TASK_ID_MAX,
  type ZegoCallback,
} from '../zego/callback-schema';
import * as z from '../zod';

/** Bumped when the body's shape changes, so a consumer can tell old messages from new ones. */
const MESSAGE_VERSION = 1;

/**
 * The queue's MaximumMessageSize (serverless.yml sets it; the infra test checks they agree). Real
 * callbacks make messages of 1-2 KB; a callback whose message would be larger is refused with 413
 * before it is acknowledged.
 */
export const QUEUE_MAX_MESSAGE_BYTES = 262_144;

// The callback as queued: verified, normalised, without its signature (of no use once verified,
// and it would let a reader of the queue replay the callback).
const queuedMixStop = z.omit(mixStopSchema, { signature: true });
const queuedMixStart = z.omit(mixStartSchema, { signature: true });
const queuedOther = z.omit(callbackEnvelopeSchema, { signature: true });

export type QueuedMixStop = z.output<typeof queuedMixStop>;
export type QueuedMixStart = z.output<typeof queuedMixStart>;
type QueuedOtherEvent = z.output<typeof queuedOther>;

const envelope = z.object({
  version: z.literal(MESSAGE_VERSION),
  /** When ingest received the callback, ISO 8601. */
  receivedAt: z.iso.datetime(),
  callback: z.looseObject({ event: z.string() }),
});

/** What the ingest function puts on the queue, and what the consumer reads back. */
export type QueuedCallback = { version: typeof MESSAGE_VERSION; receivedAt: string } & (
  | { callback: QueuedMixStop }
  | { callback: QueuedMixStart }
  | { callback: QueuedOtherEvent }
);

export function toQueuedCallback(callback: ZegoCallback, receivedAtMs: number): QueuedCallback {
  const { signature: _signature, ...fields } = callback;
  return { version: MESSAGE_VERSION, receivedAt: new Date(receivedAtMs).toISOString(), callback: fields };
}

const digits = z.string().check(z.regex(/^\d{1,20}$/, 'must be 1 to 20 digits'));

/**
 * The second kind of message: the scheduled check found that ZEGO no longer knows a task that the
 * store has running (lib/orphans/reconcile-tasks.ts). It goes to the task's message group, so the
 * consumer applies it in order with the task's callbacks. Strict: a body with both a `callback`
 * and a `reconciliation` is no message of ours.
 */
const reconciliationEnvelope = z.strictObject({
  version: z.literal(MESSAGE_VERSION),
  /** When the check queued it, ISO 8601. */
  receivedAt: z.iso.datetime(),
  reconciliation: z.strictObject({
    appid: digits,
    task_id: z.string().check(z.minLength(1), z.maxLength(TASK_ID_MAX)),
    /** The seq of the run the check saw running: only that run may be stopped by this message. */
    seq: digits,
    /** When ZEGO answered that no form of the task id exists, ISO 8601. */
    checkedAt: z.iso.datetime(),
  }),
});

export type QueuedReconciliation = z.output<typeof reconciliationEnvelope>;
export type Reconciliation = QueuedReconciliation['reconciliation'];

/** Either kind of message on the callback queue. */
export type QueuedMessage = QueuedCallback | QueuedReconciliation;

export function toQueuedReconciliation(
  reconciliation: Reconciliation,
  queuedAtMs: number,
): QueuedReconciliation {
  return { version: MESSAGE_VERSION, receivedAt: new Date(queuedAtMs).toISOString(), reconciliation };
}

export function isReconciliation(message: QueuedMessage): message is QueuedReconciliation {
  return 'reconciliation' in message;
}

/**
 * The message body as SQS will store it, byte for byte. Every character outside printable ASCII is
 * written as a JSON `\u` escape: SQS refuses some characters (U+FFFE, U+FFFF; local engines also
 * everything above U+FFFF) and documents replacing invalid ones, so a body of plain ASCII is the one
 * form it can neither refuse nor alter. JSON.parse gives back every string exactly.
 */
export function encodeMessageBody(message: QueuedMessage): string {
  const json = JSON.stringify(message);
  const body = NOT_PRINTABLE_ASCII.test(json) ? json.replace(NOT_PRINTABLE_ASCII_ALL, escapeUnit) : json;
  if (body.length > QUEUE_MAX_MESSAGE_BYTES) {
    throw new BodyTooLargeError(
      `the callback would make a queue message of ${body.length} bytes; at most ${QUEUE_MAX_MESSAGE_BYTES} fit (characters outside ASCII take 6 bytes each)`,
    );
  }
  return body;
}

// Stryker disable next-line Regex: only a shortcut: the replace it skips would change nothing
const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]/;
const NOT_PRINTABLE_ASCII_ALL = /[^\x20-\x7e]/g;
const escapeUnit = (unit: string) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * Reads a queue message body of either kind: a body that holds a `reconciliation` is one, any other
 * is read as a callback message exactly as before reconciliation existed. A body that can never be
 * processed (not JSON, another version, a callback or reconciliation of the wrong shape) is a
 * PoisonMessageError: the consumer moves it to the dead-letter queue, where it can be inspected.
 */
export function parseQueuedMessage(body: string): QueuedMessage {
  const json = parseJson(body);
  if (typeof json === 'object' && json !== null && 'reconciliation' in json) {
    const result = reconciliationEnvelope.safeParse(json);
    if (!result.success) throw poison('reconciliation', result.error);
    return result.data;
  }
  return callbackMessage(json);
}

/** Reads a callback message body; a reconciliation, like any other body, is a PoisonMessageError. */
export function parseQueuedCallback(body: string): QueuedCallback {
  return callbackMessage(parseJson(body));
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new PoisonMessageError('the message body is not JSON', { cause: error });
  }
}

function callbackMessage(json: unknown): QueuedCallback {
  const outer = envelope.safeParse(json);
  if (!outer.success) throw poison('message', outer.error);
  const schema =
    outer.data.callback.event === 'mix_stop'
      ? queuedMixStop
      : outer.data.callback.event === 'mix_start'
        ? queuedMixStart
        : queuedOther;
  const callback = schema.safeParse(outer.data.callback);
  if (!callback.success) throw poison('callback', callback.error);
  return { version: MESSAGE_VERSION, receivedAt: outer.data.receivedAt, callback: callback.data };
}

function poison(what: string, error: z.core.$ZodError): PoisonMessageError {
  return new PoisonMessageError(`the queued ${what} is invalid: ${z.describeIssues(error)}`, {
    cause: error,
  });
}

export function isMixStop(message: QueuedCallback): message is QueuedCallback & { callback: QueuedMixStop } {
  return message.callback.event === 'mix_stop';
}

export function isMixStart(
  message: QueuedCallback,
): message is QueuedCallback & { callback: QueuedMixStart } {
  return message.callback.event === 'mix_start';
}
