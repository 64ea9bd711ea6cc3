import { InvalidCallbackError } from '../errors';
import * as z from '../zod';
import type { DecodedFields } from './decode-body';
import type { SignedFields } from './signature';

/** What a missing field says, and what a present but wrong one says. */
const explain = (message: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'is required' : message;

/**
 * appid and seq: a JSON string of digits (current docs) or a JSON integer (2022 docs), normalised
 * to a canonical decimal string so "0012", "12" and 12 name the same thing. A number past 2^53 has
 * already been rounded by its sender's JSON encoder or by ours, so it is refused rather than
 * guessed at; large values as strings are fine.
 */
const safeWholeNumber = z.int().check(z.nonnegative(), z.maximum(Number.MAX_SAFE_INTEGER));
const decimal = z.pipe(
  z.union([z.string().check(z.regex(/^\d{1,20}$/)), safeWholeNumber], {
    error: explain('must be a whole number of at most 20 digits, as a string or a JSON integer'),
  }),
  z.transform((value) => (typeof value === 'number' ? String(value) : value.replace(/^0+(?=\d)/, ''))),
);

/**
 * ZEGO's timestamp, Unix seconds. Only a plausible one (2001 to 2286: ten digits) is accepted, with
 * or without the skew check, so a swapped nonce or a time in milliseconds never reaches arithmetic
 * that would need more than a safe integer.
 */
const UNIX_SECONDS_MIN = 1_000_000_000;
const UNIX_SECONDS_MAX = 9_999_999_999;
const isUnixSeconds = (digits: string) =>
  // Stryker disable next-line ConditionalExpression: either upper bound alone refuses more than ten digits (no leading zeros remain)
  digits.length <= 10 && Number(digits) >= UNIX_SECONDS_MIN && Number(digits) <= UNIX_SECONDS_MAX;
const unixSeconds = decimal.check(
  z.refine(isUnixSeconds, 'must be a Unix time in seconds (ten digits, e.g. 1689835223)'),
);

/** Signed fields are used exactly as received: a number is rendered as its digits, never reparsed. */
const exactText = (max: number) =>
  z.pipe(
    z.union([z.string().check(z.minLength(1), z.maxLength(max)), safeWholeNumber], {
      error: explain(`must be a non-empty string of at most ${max} characters, or a whole number`),
    }),
    z.transform(String),
  );

/** Free text that ZEGO documents as a string but older senders may have sent as a number. */
const text = (max: number) =>
  z.pipe(
    z.union([z.string().check(z.maxLength(max)), z.number()], {
      error: explain(`must be a string of at most ${max} characters`),
    }),
    z.transform(String),
  );

/** Play URL lists: an array in the docs, a single string in one of their examples. */
const url = z.string().check(z.maxLength(2048));
const urlList = z.pipe(
  z.union([z.array(url).check(z.maxLength(64)), url], {
    error: explain('must be a list of at most 64 URLs of at most 2048 characters, or one URL'),
  }),
  z.transform((value) => (Array.isArray(value) ? value : [value])),
);

/** ZEGO documents 255 bytes for ids and URLs; the cap leaves room before it would lose a callback. */
const FIELD_MAX = 2048;
/** task_id may be spliced from other parameters and run to hundreds of bytes. */
export const TASK_ID_MAX = 4096;

// Built once and shared by every field that takes them (zod schemas are immutable): building a
// schema per field was most of this module's share of the consumer's cold start.
const taskId = exactText(TASK_ID_MAX);
const optionalText = z.optional(text(FIELD_MAX));
const optionalUrlList = z.optional(urlList);

/**
 * Fields every event carries; unknown fields are kept, since ZEGO adds fields over time. An event
 * name is letters, digits and `_ . -` (ZEGO's are snake_case), which keeps the callback identity
 * (lib/zego/callback-identity.ts) unambiguous. task_id is optional here: events that carry one join
 * their task.
 */
export const callbackEnvelopeSchema = z.looseObject({
  appid: decimal,
  event: z.string({ error: explain('must be a string') }).check(
    z.regex(/^[A-Za-z0-9_.-]{1,64}$/, {
      error: 'must be an event name such as mix_stop (letters, digits, "_", "." or "-", at most 64)',
    }),
  ),
  seq: decimal,
  timestamp: unixSeconds,
  nonce: exactText(128),
  signature: z
    .string({ error: explain('must be a string') })
    .check(z.regex(/^[0-9a-fA-F]{40}$/, 'must be 40 hexadecimal characters (a SHA-1 in hex)')),
  task_id: z.optional(taskId),
});

const mixFields = {
  task_id: taskId,
  channel_id: optionalText,
  publish_id: optionalText,
  mix_url: optionalText,
  mix_stream_alias: optionalText,
};

export const mixStopSchema = z.extend(callbackEnvelopeSchema, {
  event: z.literal('mix_stop'),
  ...mixFields,
});

export const mixStartSchema = z.extend(callbackEnvelopeSchema, {
  event: z.literal('mix_start'),
  ...mixFields,
  stream_alias: optionalText,
  rtmp_urls: optionalUrlList,
  hls_urls: optionalUrlList,
  hdl_urls: optionalUrlList,
  rtmp_url: optionalText,
  hls_url: optionalText,
  hdl_url: optionalText,
});

type CallbackEnvelope = z.output<typeof callbackEnvelopeSchema>;
type MixStopCallback = z.output<typeof mixStopSchema>;
type MixStartCallback = z.output<typeof mixStartSchema>;
export type ZegoCallback = MixStopCallback | MixStartCallback | CallbackEnvelope;

export interface ParsedCallback {
  /** Normalised fields, unknown ones kept. */
  callback: ZegoCallback;
  /** What the signature covers, exactly as received, and the signature itself. */
  signed: SignedFields & { signature: string };
}

/**
 * Validates decoded fields against the schema of their event (the envelope alone for event types
 * other than mix_start and mix_stop, so a new ZEGO event is queued, not lost), reporting every
 * problem at once.
 */
export function parseCallback(fields: DecodedFields): ParsedCallback {
  const schema =
    fields.event === 'mix_stop'
      ? mixStopSchema
      : fields.event === 'mix_start'
        ? mixStartSchema
        : callbackEnvelopeSchema;
  const result = schema.safeParse(fields);
  if (!result.success) {
    throw new InvalidCallbackError(`invalid callback: ${describeCallbackIssues(result.error)}`, {
      cause: result.error,
    });
  }
  const callback = result.data;
  // The schema has checked both are digit strings or safe integers; String() keeps them as sent.
  const signed = {
    timestamp: String(fields.timestamp),
    nonce: callback.nonce,
    signature: callback.signature,
  };
  return { callback, signed };
}

/** Names the fields and what was wrong with each (at most 8), never the values. */
const describeCallbackIssues = (error: z.core.$ZodError) =>
  z.describeIssues(error, { root: 'the body', separator: ' ', max: 8 });
