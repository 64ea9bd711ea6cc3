import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { QueueUnavailableError } from '../../../lib/errors';
import { sendMessage } from '../../../lib/queue/enqueue';

const message = { body: '{}', deduplicationId: 'd', groupId: 'g' };

describe('sendMessage', () => {
  it('gives up at the deadline and aborts the SDK call, so nothing is stored after the 503', async () => {
    let signal: AbortSignal | undefined;
    const hanging = {
      send: (_command: unknown, options?: { abortSignal?: AbortSignal }) => {
        signal = options?.abortSignal;
        return new Promise(() => {});
      },
    } as unknown as SQSClient;
    await expect(sendMessage(message, { queueUrl: 'q', timeoutMs: 50, sqs: hanging })).rejects.toThrow(
      QueueUnavailableError,
    );
    expect(signal?.aborted).toBe(true);
  });

  it('resolves with the message id SQS gave, without aborting', async () => {
    let signal: AbortSignal | undefined;
    const answering = {
      send: async (_command: unknown, options?: { abortSignal?: AbortSignal }) => {
        signal = options?.abortSignal;
        return { MessageId: 'm-1' };
      },
    } as unknown as SQSClient;
    expect(await sendMessage(message, { queueUrl: 'q', timeoutMs: 50, sqs: answering })).toEqual({
      messageId: 'm-1',
    });
    expect(signal?.aborted).toBe(false);
  });
});
