import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseQueuedCallback } from '../queue/message';
import { deduplicationId } from '../queue/message-ids';
import type { ProcessInput, ProcessResult } from './process-callback';

export interface ConsumeDeps {
  /** processCallback behind the idempotency layer. */
  processOnce: (input: ProcessInput) => Promise<ProcessResult | undefined>;
  logger: Logger;
}

/**
 * A batch from the FIFO queue. Within a message group, the first failure fails that record and
 * every later one of its group (order is kept); other groups go on. Failures are reported per
 * record, even when all fail, so SQS retries only those and moves them to the DLQ after
 * maxReceiveCount.
 */
export async function consumeBatch(
  event: SQSEvent,
  context: Context,
  deps: ConsumeDeps,
): Promise<SQSBatchResponse> {
  // A new processor per batch: no failed-group state can survive into the next invocation.
  const processor = new SqsFifoPartialProcessorAsync();
  return processPartialResponse(event, (record: SQSRecord) => consumeRecord(record, deps), processor, {
    context,
    skipGroupOnError: true,
    throwOnFullBatchFailure: false,
  });
}

async function consumeRecord(
  record: SQSRecord,
  { processOnce, logger }: ConsumeDeps,
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
      logger.info('callback in progress elsewhere; will retry', { ...where, outcome: 'retry' });
    } else {
      logger.error('record failed', { ...where, outcome: 'failed', error });
    }
    throw error;
  }
}
