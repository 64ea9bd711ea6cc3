import * as z from 'zod';
import { InvalidCallbackError } from '../errors';
import type { DecodedFields } from './decode-body';
import type { SignedFields } from './signature';

/**
 * appid, seq and timestamp: a JSON string of digits (current docs) or a JSON integer (2022 docs),
 * normalised to a canonical decimal string so "0012", "12" and 12 name the same thing.
 * A number past 2^53 has already been rounded by its sender's JSON encoder or by ours, so it is
 * refused rather than guessed at; large values as strings are fine.
 */
const decimal = z
  .union([
    z.string().regex(/^\d{1,20}$/, 'expected a string of at most 20 digits'),
    z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  ])
  .transform((value) => (typeof value === 'number' ? String(value) : value.replace(/^0+(?=\d)/, '')));

/** Signed fields are used exactly as received: a number is rendered as its digits, never reparsed. */
const exactText = (max: number) =>
  z
    .union([z.string().min(1).max(max), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)])
    .transform(String);

/** Free text that ZEGO documents as a string but older senders may have sent as a number. */
const text = (max: number) => z.union([z.string().max(max), z.number()]).transform(String);

/** Play URL lists: an array in the docs, a single string in one of their examples. */
const urlList = z
  .union([z.array(z.string().max(2048)).max(64), z.string().max(2048)])
  .transform((value) => (Array.isArray(value) ? value : [value]));

/** ZEGO documents 255 bytes for ids and URLs; the cap leaves room before it would lose a callback. */
const FIELD_MAX = 2048;
/** task_id may be spliced from other parameters and run to hundreds of bytes. */
const TASK_ID_MAX = 4096;

export const MIX_EVENTS = ['mix_start', 'mix_stop'] as const;
export type MixEvent = (typeof MIX_EVENTS)[number];

/** Fields every event carries; unknown fields are kept, since ZEGO adds fields over time. */
export const callbackEnvelopeSchema = z.looseObject({
  appid: decimal,
  event: z.string().min(1).max(64),
  seq: decimal,
  timestamp: decimal,
  nonce: exactText(128),
  signature: z.string().regex(/^[0-9a-fA-F]{40}$/, 'expected 40 hexadecimal characters (SHA-1)'),
});

const mixFields = {
  task_id: exactText(TASK_ID_MAX),
  channel_id: text(FIELD_MAX).optional(),
  publish_id: text(FIELD_MAX).optional(),
  mix_url: text(FIELD_MAX).optional(),
  mix_stream_alias: text(FIELD_MAX).optional(),
};

export const mixStopSchema = callbackEnvelopeSchema.extend({
  event: z.literal('mix_stop'),
  ...mixFields,
});

export const mixStartSchema = callbackEnvelopeSchema.extend({
  event: z.literal('mix_start'),
  ...mixFields,
  stream_alias: text(FIELD_MAX).optional(),
  rtmp_urls: urlList.optional(),
  hls_urls: urlList.optional(),
  hdl_urls: urlList.optional(),
  rtmp_url: text(FIELD_MAX).optional(),
  hls_url: text(FIELD_MAX).optional(),
  hdl_url: text(FIELD_MAX).optional(),
});

export type CallbackEnvelope = z.output<typeof callbackEnvelopeSchema>;
export type MixStopCallback = z.output<typeof mixStopSchema>;
export type MixStartCallback = z.output<typeof mixStartSchema>;
export type ZegoCallback = MixStopCallback | MixStartCallback | CallbackEnvelope;

export function isMixEvent(event: string): event is MixEvent {
  return (MIX_EVENTS as readonly string[]).includes(event);
}

export interface ParsedCallback {
  /** Normalised fields, unknown ones kept. */
  callback: ZegoCallback;
  /** What the signature covers, exactly as received, and the signature itself. */
  signed: SignedFields & { signature: string };
}

/**
 * Validates decoded fields: the envelope for every event, and the task fields for mix events.
 * Other event types pass with the envelope alone, so a new ZEGO event is queued, not lost.
 */
export function parseCallback(fields: DecodedFields): ParsedCallback {
  const envelope = check(callbackEnvelopeSchema, fields);
  const callback =
    envelope.event === 'mix_stop'
      ? check(mixStopSchema, fields)
      : envelope.event === 'mix_start'
        ? check(mixStartSchema, fields)
        : envelope;
  // The schema has checked both are digit strings or safe integers; String() keeps them as sent.
  const signed = {
    timestamp: String(fields.timestamp),
    nonce: envelope.nonce,
    signature: envelope.signature,
  };
  return { callback, signed };
}

function check<T extends z.ZodType>(schema: T, fields: DecodedFields): z.output<T> {
  const result = schema.safeParse(fields);
  if (result.success) return result.data;
  throw new InvalidCallbackError(`invalid callback: ${describeIssues(result.error)}`, {
    cause: result.error,
  });
}

/** Names the fields and what was wrong, never the values (they may be long or hostile). */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`)
    .join('; ');
}
