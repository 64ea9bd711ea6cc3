import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it, vi } from 'vitest';
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
    const failure = sendMessage(message, { queueUrl: 'q', timeoutMs: 50, sqs: hanging });
    await expect(failure).rejects.toThrow(QueueUnavailableError);
    await expect(failure).rejects.toMatchObject({
      message: 'the message could not be queued',
      cause: { message: 'SQS did not answer within 50 ms' },
    });
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

  it('fails when SQS answers without a message id', async () => {
    const odd = { send: async () => ({}) } as unknown as SQSClient;
    await expect(sendMessage(message, { queueUrl: 'q', timeoutMs: 50, sqs: odd })).rejects.toMatchObject({
      name: 'QueueUnavailableError',
      cause: { message: 'SendMessage returned no MessageId' },
    });
  });

  it('leaves no deadline timer behind once SQS has answered', async () => {
    vi.useFakeTimers();
    const answering = { send: async () => ({ MessageId: 'm-1' }) } as unknown as SQSClient;
    await sendMessage(message, { queueUrl: 'q', timeoutMs: 60_000, sqs: answering });
    expect(vi.getTimerCount()).toBe(0);
  });
});

afterEach(() => {
  vi.useRealTimers();
});
