import { describe, expect, it } from 'vitest';
import { deduplicationId, messageGroupId, sqsId } from '../../../lib/queue/message-ids';
import { parseCallback } from '../../../lib/zego/callback-schema';
import { signedCallback, signedMixStart } from '../../support/callbacks';

const SQS_ID = /^[\x21-\x7e]{1,128}$/;
const parsed = (fields: Record<string, unknown>) => parseCallback(fields).callback;

describe('deduplicationId', () => {
  it('is the callback identity: appid, task_id, event and seq', () => {
    expect(deduplicationId(parsed(signedCallback()))).toBe('111111:111111:1111:mix_stop:1234');
  });

  it('is appid, event and seq for an event without a task', () => {
    expect(deduplicationId(parsed(signedCallback({ event: 'other', task_id: undefined })))).toBe(
      '111111:other:1234',
    );
  });

  it('tells apart two tasks that reuse a seq (ZEGO lets each task choose its own)', () => {
    const a = deduplicationId(parsed(signedMixStart({ task_id: 'seqA', seq: '7' })));
    const b = deduplicationId(parsed(signedMixStart({ task_id: 'seqB', seq: '7' })));
    expect(a).not.toBe(b);
  });

  it('contains its group, so de-duplicating per group or across the queue is the same', () => {
    for (const fields of [signedCallback(), signedCallback({ event: 'other', task_id: undefined })]) {
      const callback = parsed(fields);
      expect(deduplicationId(callback).startsWith(messageGroupId(callback))).toBe(true);
    }
  });

  it('is the same however the seq was written', () => {
    const a = deduplicationId(parsed(signedCallback({ seq: 1234 })));
    const b = deduplicationId(parsed(signedCallback({ seq: '01234' })));
    expect(a).toBe(b);
  });

  it('never collides across apps or between a start and a stop', () => {
    const ids = new Set([
      deduplicationId(parsed(signedCallback())),
      deduplicationId(parsed(signedCallback({ appid: '222222' }))),
      deduplicationId(parsed(signedMixStart({ seq: '1234' }))),
    ]);
    expect(ids.size).toBe(3);
  });

  it('hashes a task id SQS would refuse', () => {
    const id = deduplicationId(parsed(signedCallback({ task_id: 'room 1 任务' })));
    expect(id).toMatch(/^h:[0-9a-f]{64}$/);
    expect(deduplicationId(parsed(signedCallback({ task_id: 'room 1 任务', seq: '9' })))).not.toBe(id);
  });
});

describe('messageGroupId', () => {
  it('is appid and task for mix events, shared by a start and its stop', () => {
    expect(messageGroupId(parsed(signedCallback()))).toBe('111111:111111:1111');
    expect(messageGroupId(parsed(signedMixStart()))).toBe(messageGroupId(parsed(signedCallback())));
  });

  it('differs between tasks and between apps', () => {
    const a = messageGroupId(parsed(signedCallback({ task_id: 't1' })));
    expect(messageGroupId(parsed(signedCallback({ task_id: 't2' })))).not.toBe(a);
    expect(messageGroupId(parsed(signedCallback({ task_id: 't1', appid: '2' })))).not.toBe(a);
  });

  it('hashes a long spliced task id into SQS limits, stably', () => {
    const taskId = `rtmp://publish.example.invalid/live/${'x'.repeat(300)}`;
    const id = messageGroupId(parsed(signedCallback({ task_id: taskId })));
    expect(id).toMatch(/^h:[0-9a-f]{64}$/);
    expect(messageGroupId(parsed(signedCallback({ task_id: taskId, seq: '9' })))).toBe(id);
  });

  it('hashes a task id with characters SQS refuses', () => {
    expect(messageGroupId(parsed(signedCallback({ task_id: 'room 1 任务' })))).toMatch(/^h:/);
  });

  it('gives an event without a task its own group', () => {
    expect(messageGroupId(parsed(signedCallback({ event: 'other', task_id: undefined })))).toBe(
      '111111:other:1234',
    );
  });
});

describe('sqsId', () => {
  it('keeps a value at the 128-character limit and hashes one past it', () => {
    expect(sqsId('a'.repeat(128))).toBe('a'.repeat(128));
    expect(sqsId('a'.repeat(129))).toMatch(SQS_ID);
    expect(sqsId('a'.repeat(129))).not.toBe(sqsId('a'.repeat(130)));
  });
});
