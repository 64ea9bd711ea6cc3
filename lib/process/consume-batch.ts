import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { IdempotencyAlreadyInProgressError } from '@aws-lambda-powertools/idempotency';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { PoisonMessageError } from '../errors';
import { metric } from '../metrics';
import type { DeadLetter } from '../queue/dead-letter';
import { isReconciliation, parseQueuedMessage, type QueuedMessage } from '../queue/message';
import type { ProcessOnce, ProcessResult } from './contract';
import { messageIdentity } from './process-message';
import { RECONCILIATION_EVENT } from './process-reconciliation';

export interface ConsumeOptions {
  /** processMessage behind the idempotency layer. */
  processOnce: ProcessOnce;
  /** Where a message that can never be processed goes at once. */
  deadLetter: DeadLetter;
  logger: Logger;
  metrics: Metrics;
  /** The queue's maxReceiveCount: a record failing on that delivery is moved to the DLQ by SQS. */
  maxReceiveCount?: number;
}

const DEFAULT_MAX_RECEIVE_COUNT = 5;

/**
 * A batch from the FIFO queue. Message groups (mix tasks) are processed concurrently, each one
 * in order: within a group the first failure fails that record and every later one of the group;
 * other groups go on. Failures are reported per record, even when all fail, so SQS retries only
 * those and moves them to the DLQ after maxReceiveCount.
 */
export async function consumeBatch(
  event: SQSEvent,
  context: Context,
  deps: ConsumeOptions,
): Promise<SQSBatchResponse> {
  const attempted = new Set<string>();
  const responses = await Promise.all(
    [...groupsOf(event.Records).values()].map((records) =>
      // A new processor per group and batch: no failed-group state survives into another.
      processPartialResponse(
        { Records: records },
        (record: SQSRecord) => {
          attempted.add(record.messageId);
          return consumeRecord(record, context, deps);
        },
        new SqsFifoPartialProcessorAsync(),
        { context, throwOnFullBatchFailure: false },
      ),
    ),
  );
  const batchItemFailures = responses.flatMap((response) => response.batchItemFailures);
  // Records skipped after an earlier failure of their group fail too; on their last delivery they
  // leave for the DLQ with the one that failed, and this is the only trace of them.
  const failed = new Set(batchItemFailures.map((failure) => failure.itemIdentifier));
  for (const record of event.Records) {
    if (!failed.has(record.messageId) || attempted.has(record.messageId)) continue;
    const where = whereIs(record, deps);
    if (where.lastDelivery)
      deps.logger.error(
        'callback skipped behind a failure, on its last delivery; SQS moves it to the dead-letter queue',
        { ...where, outcome: 'failed', toDeadLetterQueue: true },
      );
  }
  return { batchItemFailures };
}

/** Where a record is in its life: which delivery, and whether a failure now sends it to the DLQ. */
function whereIs(record: SQSRecord, { maxReceiveCount = DEFAULT_MAX_RECEIVE_COUNT }: ConsumeOptions) {
  const receiveCount = Number(record.attributes.ApproximateReceiveCount);
  return {
    messageId: record.messageId,
    groupId: record.attributes.MessageGroupId,
    receiveCount,
    maxReceiveCount,
    lastDelivery: receiveCount >= maxReceiveCount,
  };
}

/** Records by message group, each group in its delivery order. */
function groupsOf(records: SQSRecord[]): Map<string, SQSRecord[]> {
  const groups = new Map<string, SQSRecord[]>();
  for (const record of records) {
    const group = record.attributes.MessageGroupId ?? record.messageId;
    groups.set(group, [...(groups.get(group) ?? []), record]);
  }
  return groups;
}

async function consumeRecord(
  record: SQSRecord,
  context: Context,
  deps: ConsumeOptions,
): Promise<ProcessResult | undefined> {
  const { processOnce, deadLetter, logger, metrics } = deps;
  const { lastDelivery, ...where } = whereIs(record, deps);
  let message: QueuedMessage;
  try {
    message = parseQueuedMessage(record.body);
  } catch (error) {
    if (!(error instanceof PoisonMessageError)) throw error;
    // If SQS does not take it, this throws: the record fails and is retried like any other.
    await deadLetter(record, error.message);
    metric(metrics, 'PoisonMessage');
    logger.error('message can never be processed; moved to the dead-letter queue', {
      ...where,
      outcome: 'dead_lettered',
      reason: error.message,
    });
    return undefined;
  }
  try {
    return await processOnce({ idempotencyKey: messageIdentity(message), message }, context);
  } catch (error) {
    const { appid, task_id, event, seq } = isReconciliation(message)
      ? { ...message.reconciliation, event: RECONCILIATION_EVENT }
      : message.callback;
    const fields = { ...where, appid, task_id, event, seq };
    const inProgress = error instanceof IdempotencyAlreadyInProgressError;
    metric(metrics, inProgress ? 'InProgressElsewhere' : 'ProcessingFailed');
    if (lastDelivery) {
      logger.error(
        `callback ${inProgress ? 'still in progress elsewhere' : 'failed'} on its last delivery; SQS moves it to the dead-letter queue`,
        { ...fields, outcome: 'failed', toDeadLetterQueue: true, ...(inProgress ? {} : { error }) },
      );
    } else if (inProgress) {
      logger.info('callback in progress elsewhere; will retry', { ...fields, outcome: 'retry' });
    } else {
      logger.error('callback failed; SQS delivers it again', { ...fields, outcome: 'failed', error });
    }
    throw error;
  }
}
