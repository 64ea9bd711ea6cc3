import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

// Placeholder until the consumer lands (issue 3): reports every record as failed so nothing is
// deleted from the queue unprocessed.
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => ({
  batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })),
});
