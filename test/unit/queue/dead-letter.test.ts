import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { sqsDeadLetter } from '../../../lib/queue/dead-letter';
import { sqsClient } from '../../../lib/queue/sqs-client';
import { signedCallback } from '../../support/callbacks';
import { sqsRecord } from '../../support/messages';

const sqs = mockClient(SQSClient);
beforeEach(() => sqs.reset());

describe('sqsDeadLetter', () => {
  it('sends the record as it came, in its group, de-duplicated by its id, with the reason as a string attribute', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'd-1' });
    const record = sqsRecord(signedCallback({ task_id: 'a' }), { body: 'not json' });
    await sqsDeadLetter({ queueUrl: 'dlq', sqs: new SQSClient({ region: 'us-east-1' }) })(
      record,
      `bad\u001b[2J${'x'.repeat(300)}`,
    );
    const input = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(input).toEqual({
      QueueUrl: 'dlq',
      MessageBody: 'not json',
      MessageGroupId: '111111:a',
      MessageDeduplicationId: `poison:${record.messageId}`,
      MessageAttributes: {
        // The name `zego dlq` reads.
        'zego-failure': {
          DataType: 'String',
          StringValue: expect.stringMatching(/^bad\\u001b\[2Jx+…$/),
        },
      },
    });
    expect(input?.MessageAttributes?.['zego-failure']?.StringValue).toHaveLength(257);
  });

  it('fails when SQS does not take it', async () => {
    sqs.on(SendMessageCommand).rejects(new Error('SQS down'));
    const record = sqsRecord(signedCallback(), { body: 'not json' });
    await expect(
      sqsDeadLetter({ queueUrl: 'dlq', sqs: new SQSClient({ region: 'us-east-1' }) })(record, 'bad'),
    ).rejects.toThrow('SQS down');
  });

  it('sends through the client it is given, or else the shared one, made when first needed', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'd-1' });
    const record = sqsRecord(signedCallback(), { body: 'not json' });
    const given = new SQSClient({ region: 'us-east-1' });
    const viaGiven = vi.spyOn(given, 'send');
    const viaShared = vi.spyOn(sqsClient(), 'send');
    await sqsDeadLetter({ queueUrl: 'dlq', sqs: given })(record, 'bad');
    expect([viaGiven.mock.calls.length, viaShared.mock.calls.length]).toEqual([1, 0]);
    await sqsDeadLetter({ queueUrl: 'dlq' })(record, 'bad');
    expect([viaGiven.mock.calls.length, viaShared.mock.calls.length]).toEqual([1, 1]);
    expect(sqsClient()).toBe(sqsClient());
  });
});
