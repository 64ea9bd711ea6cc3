import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { count } from '../metrics';
import { parseQueuedCallback } from '../queue/message';
import { deduplicationId } from '../queue/message-ids';
import type { ProcessInput, ProcessResult } from './process-callback';

export interface ConsumeDeps {
  /** processCallback behind the idempotency layer. */
  processOnce: (input: ProcessInput) => Promise<ProcessResult | undefined>;
  logger: Logger;
  metrics: Metrics;
}

/**
 * A batch from the FIFO queue. Message groups (mix tasks) are processed concurrently, each one
 * in order: within a group the first failure fails that record and every later one of the group;
 * other groups go on. Failures are reported per record, even when all fail, so SQS retries only
 * those and moves them to the DLQ after maxReceiveCount.
 */
export async function consumeBatch(
  event: SQSEvent,
  context: Context,
  deps: ConsumeDeps,
): Promise<SQSBatchResponse> {
  const responses = await Promise.all(
    [...groupsOf(event.Records).values()].map((records) =>
      // A new processor per group and batch: no failed-group state survives into another.
      processPartialResponse(
        { Records: records },
        (record: SQSRecord) => consumeRecord(record, deps),
        new SqsFifoPartialProcessorAsync(),
        { context, throwOnFullBatchFailure: false },
      ),
    ),
  );
  return { batchItemFailures: responses.flatMap((response) => response.batchItemFailures) };
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
  { processOnce, logger, metrics }: ConsumeDeps,
): Promise<ProcessResult | undefined> {
  const where = {
    messageId: record.messageId,
    groupId: record.attributes.MessageGroupId,
    receiveCount: Number(record.attributes.ApproximateReceiveCount),
  };
  try {
    const message = parseQueuedCallback(record.body);
    return await processOnce({ idempotencyKey: deduplicationId(message.callback), message });
  } catch (error) {
    if ((error as Error).name === 'IdempotencyAlreadyInProgressError') {
      count(metrics, 'InProgressElsewhere');
      logger.info('callback in progress elsewhere; will retry', { ...where, outcome: 'retry' });
    } else {
      count(metrics, 'ProcessingFailed');
      logger.error('record failed', { ...where, outcome: 'failed', error });
    }
    throw error;
  }
}
