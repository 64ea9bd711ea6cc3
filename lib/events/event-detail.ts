/**
 * The detail of each event this stack publishes, one zod schema per detail-type. The publisher
 * builds details typed from these schemas (it imports their types only, so no schema lands in a
 * function bundle); `npm run events:schemas` writes them as JSON Schema to docs/events/, and a unit
 * test checks the checked-in files against them. Objects are open: fields may be added, never
 * removed or retyped, without a new `version`.
 */
import * as z from '../zod';
import { DETAIL_VERSION } from './names';

const text = z.string();
const optionalText = z.optional(z.string());
const optionalUrls = z.optional(z.array(z.string()));
const isoTime = z.string().check(z.meta({ format: 'date-time' }));
/** The schema with a description, which the JSON Schema files carry. */
const about = <T extends z.ZodMiniType>(schema: T, description: string): T =>
  schema.check(z.describe(description));
const digits = z.string().check(z.regex(/^\d+$/));

/** The callback as ZEGO sent it, normalised; unknown fields kept; never its signature. */
const callbackFields = {
  appid: digits,
  seq: digits,
  /** Unix seconds, as ZEGO sent it. */
  timestamp: digits,
  nonce: text,
  task_id: text,
  channel_id: optionalText,
  publish_id: optionalText,
  mix_url: optionalText,
  mix_stream_alias: optionalText,
};

const mixStartCallback = z.looseObject({
  ...callbackFields,
  event: z.literal('mix_start'),
  stream_alias: optionalText,
  rtmp_urls: optionalUrls,
  hls_urls: optionalUrls,
  hdl_urls: optionalUrls,
  rtmp_url: optionalText,
  hls_url: optionalText,
  hdl_url: optionalText,
});

const mixStopCallback = z.looseObject({ ...callbackFields, event: z.literal('mix_stop') });

/** The task as stored after the transition (lib/store/task-item.ts); internal fields may appear too. */
const task = z.looseObject({
  appid: digits,
  task_id: text,
  status: z.enum(['running', 'stopped']),
  /** The highest seq applied to the task. */
  seq: digits,
  runId: text,
  startSeq: z.optional(digits),
  stopSeq: z.optional(digits),
  /** ZEGO's start and stop times, Unix seconds. */
  startedAt: z.optional(z.number()),
  stoppedAt: z.optional(z.number()),
  startReceivedAt: optionalText,
  stopReceivedAt: optionalText,
  channel_id: optionalText,
  publish_id: optionalText,
  mix_url: optionalText,
  mix_stream_alias: optionalText,
  stream_alias: optionalText,
  rtmp_urls: optionalUrls,
  hls_urls: optionalUrls,
  hdl_urls: optionalUrls,
  updatedAt: text,
  stoppedBy: z.optional(z.enum(['callback', 'reconciliation'])),
  reconciledAt: optionalText,
  orphanReportedAt: optionalText,
});

/** What every detail carries: rules match on `appid` and `task_id`, consumers de-duplicate on `eventId`. */
const common = {
  version: about(z.literal(DETAIL_VERSION), 'Bumped only when a field is removed or changes its meaning'),
  eventId: about(
    text,
    'The same on every delivery of what caused the event (a callback: appid:task_id:event:seq; a reconciliation: appid:task_id:#reconcile:seq; an orphan report: runId:#orphaned), different for each: de-duplicate on it',
  ),
  runId: about(text, 'The run: appid:task_id:<seq of the callback that began it>'),
  appid: about(digits, "ZEGO's app id"),
  task_id: about(text, 'The mix task id, as ZEGO sent it'),
  task: about(task, 'The task as stored after this transition'),
  truncated: z.optional(
    about(
      z.object({ bytes: z.number().check(z.int()) }),
      "Present only when the whole detail would have been over PutEvents' 256 KB (a callback of thousands of control characters): task and callback then hold only their ids, seqs, times and status; bytes is the whole entry's size",
    ),
  ),
};

export const mixStartedDetail = z.object({
  ...common,
  receivedAt: about(isoTime, 'When the endpoint received the callback'),
  callback: about(mixStartCallback, 'The mix_start as ZEGO sent it, normalised, without its signature'),
});

export const mixUpdatedDetail = z.object({
  ...common,
  receivedAt: about(isoTime, 'When the endpoint received the callback'),
  callback: about(mixStartCallback, 'The mix_start as ZEGO sent it, normalised, without its signature'),
});

export const mixStoppedDetail = z.discriminatedUnion('inferred', [
  z.object({
    ...common,
    inferred: about(z.literal(false), "ZEGO's mix_stop reported the stop"),
    receivedAt: about(isoTime, 'When the endpoint received the callback'),
    callback: about(mixStopCallback, 'The mix_stop as ZEGO sent it, normalised, without its signature'),
  }),
  z.object({
    ...common,
    inferred: about(
      z.literal(true),
      "Reconciliation: ZEGO's server API no longer knew the task, and no mix_stop came",
    ),
    receivedAt: about(isoTime, 'When the scheduled check queued the reconciliation'),
    reconciledAt: about(isoTime, 'When ZEGO was found not to know the task: the mix ended before this'),
  }),
]);

export const mixOrphanedDetail = z.object({
  ...common,
  runningSeconds: about(
    z.number().check(z.int()),
    'Seconds the run had been running, with no stop seen, when the check reported it',
  ),
});

type MixStartedDetail = z.output<typeof mixStartedDetail>;
type MixUpdatedDetail = z.output<typeof mixUpdatedDetail>;
type MixStoppedDetail = z.output<typeof mixStoppedDetail>;
export type MixOrphanedDetail = z.output<typeof mixOrphanedDetail>;
export type EventDetail = MixStartedDetail | MixUpdatedDetail | MixStoppedDetail | MixOrphanedDetail;
