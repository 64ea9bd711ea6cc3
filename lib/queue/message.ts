import * as z from 'zod';
import { BodyTooLargeError, PoisonMessageError } from '../errors';
import {
  callbackEnvelopeSchema,
  mixStartSchema,
  mixStopSchema,
  type ZegoCallback,
} from '../zego/callback-schema';

/** Bumped when the body's shape changes, so a consumer can tell old messages from new ones. */
export const MESSAGE_VERSION = 1;

/**
 * The queue's MaximumMessageSize (serverless.yml sets it; the infra test checks they agree). Real
 * callbacks make messages of 1-2 KB; a callback whose message would be larger is refused with 413
 * before it is acknowledged.
 */
export const QUEUE_MAX_MESSAGE_BYTES = 262_144;

// The callback as queued: verified, normalised, without its signature (of no use once verified,
// and it would let a reader of the queue replay the callback).
const queuedMixStop = mixStopSchema.omit({ signature: true });
const queuedMixStart = mixStartSchema.omit({ signature: true });
const queuedOther = callbackEnvelopeSchema.omit({ signature: true });

export type QueuedMixStop = z.output<typeof queuedMixStop>;
export type QueuedMixStart = z.output<typeof queuedMixStart>;
export type QueuedOtherEvent = z.output<typeof queuedOther>;

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

/**
 * The message body as SQS will store it, byte for byte. Every character outside printable ASCII is
 * written as a JSON `\u` escape: SQS refuses some characters (U+FFFE, U+FFFF; local engines also
 * everything above U+FFFF) and documents replacing invalid ones, so a body of plain ASCII is the one
 * form it can neither refuse nor alter. JSON.parse gives back every string exactly.
 */
export function encodeMessageBody(message: QueuedCallback): string {
  const json = JSON.stringify(message);
  const body = NOT_PRINTABLE_ASCII.test(json) ? json.replace(NOT_PRINTABLE_ASCII_ALL, escapeUnit) : json;
  if (body.length > QUEUE_MAX_MESSAGE_BYTES) {
    throw new BodyTooLargeError(
      `the callback would make a queue message of ${body.length} bytes; at most ${QUEUE_MAX_MESSAGE_BYTES} fit (characters outside ASCII take 6 bytes each)`,
    );
  }
  return body;
}

const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]/;
const NOT_PRINTABLE_ASCII_ALL = /[^\x20-\x7e]/g;
const escapeUnit = (unit: string) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * Reads a queue message body. A body that can never be processed (not JSON, another version,
 * a callback of the wrong shape) is a PoisonMessageError: the record fails until SQS moves it to
 * the dead-letter queue, where it can be inspected.
 */
export function parseQueuedCallback(body: string): QueuedCallback {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new PoisonMessageError('the message body is not JSON', { cause: error });
  }
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

function poison(what: string, error: z.ZodError): PoisonMessageError {
  const where = error.issues
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  return new PoisonMessageError(`the queued ${what} is invalid: ${where}`, { cause: error });
}

export function isMixStop(message: QueuedCallback): message is QueuedCallback & { callback: QueuedMixStop } {
  return message.callback.event === 'mix_stop';
}

export function isMixStart(
  message: QueuedCallback,
): message is QueuedCallback & { callback: QueuedMixStart } {
  return message.callback.event === 'mix_start';
}
