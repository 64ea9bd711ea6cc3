import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  deduplicationId,
  messageGroupId,
  reconciliationDeduplicationId,
  sqsId,
  taskGroupId,
} from '../../../lib/queue/message-ids';
import {
  callbackIdentity,
  RECONCILE_MARK,
  reconciliationIdentity,
} from '../../../lib/zego/callback-identity';
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

describe('reconciliationDeduplicationId', () => {
  const reconciliation = { appid: '111111', task_id: '111111:1111', seq: '123' };

  it('is appid, task_id, the reconcile mark and the run’s seq, in the task’s group', () => {
    expect(reconciliationDeduplicationId(reconciliation)).toBe('111111:111111:1111:#reconcile:123');
    expect(taskGroupId('111111', '111111:1111')).toBe(messageGroupId(parsed(signedCallback())));
    expect(
      reconciliationDeduplicationId(reconciliation).startsWith(taskGroupId('111111', '111111:1111')),
    ).toBe(true);
  });

  it('never equals the identity of a callback, whatever its event, task id and seq', () => {
    const eventName = fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/);
    const decimal = fc.stringMatching(/^[1-9]\d{0,19}$/);
    fc.assert(
      fc.property(decimal, fc.string({ minLength: 1 }), eventName, decimal, (appid, taskId, event, seq) => {
        const raw = reconciliationIdentity({ appid, task_id: taskId, seq });
        const callback = { appid, event, seq, task_id: taskId };
        expect(raw).not.toBe(callbackIdentity(callback));
        expect(reconciliationDeduplicationId({ appid, task_id: taskId, seq })).not.toBe(
          deduplicationId(callback),
        );
      }),
      { numRuns: Number(process.env.FC_NUM_RUNS ?? 300) },
    );
  });

  it('could equal a callback’s only through an event named like its mark, which ingest refuses', () => {
    const impostor = { appid: '111111', event: RECONCILE_MARK, seq: '123', task_id: '111111:1111' };
    expect(callbackIdentity(impostor)).toBe(reconciliationIdentity(reconciliation));
    expect(() => parseCallback(signedCallback(impostor))).toThrow(/event/);
  });

  it('hashes a task id SQS would refuse, and tells runs apart', () => {
    const id = reconciliationDeduplicationId({ ...reconciliation, task_id: 'room 1 任务' });
    expect(id).toMatch(/^h:[0-9a-f]{64}$/);
    expect(reconciliationDeduplicationId({ ...reconciliation, seq: '124' })).not.toBe(
      reconciliationDeduplicationId(reconciliation),
    );
  });
});
