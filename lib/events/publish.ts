import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { metric } from '../metrics';
import type { EventDetail } from './event-detail';
import { type DetailType, EVENT_SOURCE } from './names';

/** PutEvents refuses an entry larger than 256 KB, counted as entrySize does. */
export const MAX_ENTRY_BYTES = 262_144;

/**
 * An entry's size as EventBridge counts it against MAX_ENTRY_BYTES: 14 bytes for Time when set,
 * and the UTF-8 bytes of Source, DetailType, Detail and each of Resources.
 */
export function entrySize(entry: PutEventsRequestEntry): number {
  const bytes = (value: string | undefined) => (value === undefined ? 0 : Buffer.byteLength(value, 'utf8'));
  return (
    (entry.Time === undefined ? 0 : 14) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((sum, resource) => sum + bytes(resource), 0)
  );
}

/** The event could not be published: the record is retried like a failing hook, then dead-lettered. */
export class EventPublishError extends Error {
  override readonly name: string = 'EventPublishError';
}

/** The entry would be larger than PutEvents takes: refused before any call. */
export class EventTooLargeError extends EventPublishError {
  override readonly name: string = 'EventTooLargeError';
}

/** The task's fields a truncated event keeps: its ids, seqs, times and status. */
const TASK_KEPT = [
  'appid',
  'task_id',
  'status',
  'seq',
  'runId',
  'startSeq',
  'stopSeq',
  'startedAt',
  'stoppedAt',
  'startReceivedAt',
  'stopReceivedAt',
  'updatedAt',
  'stoppedBy',
  'reconciledAt',
  'orphanReportedAt',
] as const;
/** The callback's fields a truncated event keeps (never its signature, which no event holds). */
const CALLBACK_KEPT = ['appid', 'event', 'seq', 'timestamp', 'nonce', 'task_id'] as const;

const pick = (from: object, keys: readonly string[]) =>
  Object.fromEntries(Object.entries(from).filter(([key]) => keys.includes(key)));

/**
 * The detail with its task and callback reduced to the fields that are bounded (ids of at most
 * 4,096 characters, digits, times), and `truncated` saying how large the whole one was.
 */
function truncated(detail: EventDetail, bytes: number): EventDetail {
  return {
    ...detail,
    task: pick(detail.task, TASK_KEPT) as EventDetail['task'],
    ...('callback' in detail && { callback: pick(detail.callback, CALLBACK_KEPT) }),
    truncated: { bytes },
  } as EventDetail;
}

/** Publishes one event; throws an EventPublishError unless EventBridge took it. */
export type PublishEvent = (detailType: DetailType, detail: EventDetail) => Promise<void>;

export interface PublisherOptions {
  /** The bus's name or ARN. */
  busName: string;
  client: EventBridgeClient;
  metrics: Metrics;
  logger: Logger;
}

/**
 * PutEvents with one entry per event. A call that answers 200 may still have refused the entry
 * (FailedEntryCount, with the entry's ErrorCode and ErrorMessage): that fails as the SDK's errors
 * do. Each outcome is counted: EventsPublished, or EventPublishFailed (its alarm watches it).
 */
export function eventPublisher({ busName, client, metrics, logger }: PublisherOptions): PublishEvent {
  return async (detailType, detail) => {
    const entry: PutEventsRequestEntry = {
      EventBusName: busName,
      Source: EVENT_SOURCE,
      DetailType: detailType,
      Detail: JSON.stringify(detail),
    };
    const what = `the "${detailType}" event ${detail.eventId}`;
    const whole = entrySize(entry);
    let size = whole;
    if (whole > MAX_ENTRY_BYTES) {
      // Only a signed callback of thousands of control characters (each 6 bytes once escaped) gets
      // here. Its callback was acknowledged, so it must not end in the DLQ: its event goes with
      // the ids, seqs, times and status only (`truncated`), which fit whatever the fields hold.
      entry.Detail = JSON.stringify(truncated(detail, whole));
      size = entrySize(entry);
      if (size > MAX_ENTRY_BYTES) {
        metric(metrics, 'EventPublishFailed');
        throw new EventTooLargeError(
          `${what} would be a PutEvents entry of ${size} bytes even truncated; EventBridge takes at most ${MAX_ENTRY_BYTES}`,
        );
      }
      logger.warn('event over the PutEvents size limit; published truncated', {
        detailType,
        eventId: detail.eventId,
        bytes: whole,
      });
    }
    let refused: string | undefined;
    try {
      const answer = await client.send(new PutEventsCommand({ Entries: [entry] }));
      const [result] = answer.Entries ?? [];
      if ((answer.FailedEntryCount ?? 0) > 0 || result?.ErrorCode !== undefined || !result?.EventId) {
        refused = `${result?.ErrorCode ?? 'no event id'}: ${result?.ErrorMessage ?? 'no message'}`;
      }
    } catch (error) {
      metric(metrics, 'EventPublishFailed');
      throw new EventPublishError(`${what} could not be published: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (refused !== undefined) {
      metric(metrics, 'EventPublishFailed');
      throw new EventPublishError(`EventBridge refused ${what} (${refused})`);
    }
    metric(metrics, 'EventsPublished');
    logger.info('event published', {
      detailType,
      eventId: detail.eventId,
      runId: detail.runId,
      appid: detail.appid,
      task_id: detail.task_id,
      bytes: size,
    });
  };
}
