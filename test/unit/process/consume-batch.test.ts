import { IdempotencyAlreadyInProgressError } from '@aws-lambda-powertools/idempotency';
import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSRecord } from 'aws-lambda';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConsumerConfig } from '../../../lib/config';
import { createMetrics } from '../../../lib/metrics';
import { consumeBatch } from '../../../lib/process/consume-batch';
import type { MessageInput, ProcessResult } from '../../../lib/process/contract';
import {
  encodeMessageBody,
  isReconciliation,
  type QueuedMessage,
  toQueuedReconciliation,
} from '../../../lib/queue/message';
import { lambdaContext } from '../../../tools/local-stack/lambda-context';
import { signedCallback } from '../../support/callbacks';
import { capturedLogger } from '../../support/logs';
import { sqsEvent, sqsRecord } from '../../support/messages';
import { capturedMetrics, total } from '../../support/metrics';

const logger = new Logger({ logLevel: 'SILENT' });
const metrics = createMetrics('consumer', 'test'); // stored, never published
const ok: ProcessResult = { event: 'mix_stop', outcome: 'applied', taskStatus: 'stopped' };
const deadLettered: { messageId: string; reason: string }[] = [];
const deps = {
  logger,
  metrics,
  deadLetter: async (record: SQSRecord, reason: string) => {
    deadLettered.push({ messageId: record.messageId, reason });
  },
};
beforeEach(() => {
  deadLettered.length = 0;
});

const seqOf = (message: QueuedMessage) =>
  isReconciliation(message) ? message.reconciliation.seq : message.callback.seq;

/** A processOnce that fails for the given seqs and records the order it saw. */
function processFailingOn(...failingSeqs: string[]) {
  const seen: string[] = [];
  const processOnce = vi.fn(async ({ message }: MessageInput) => {
    seen.push(seqOf(message));
    if (failingSeqs.includes(seqOf(message))) throw new Error(`hook failed for ${seqOf(message)}`);
    return ok;
  });
  return { processOnce, seen };
}

const record = (task: string, seq: string, receiveCount = 1) =>
  sqsRecord(signedCallback({ task_id: task, seq }), { receiveCount });
const failedIds = (response: { batchItemFailures: { itemIdentifier: string }[] }) =>
  response.batchItemFailures.map((failure) => failure.itemIdentifier);

describe('consumeBatch', () => {
  it('reports nothing failed when every record succeeds, keyed by the callback identity', async () => {
    const { processOnce } = processFailingOn();
    const response = await consumeBatch(sqsEvent(record('a', '1'), record('b', '2')), lambdaContext(), {
      ...deps,
      processOnce,
    });
    expect(response.batchItemFailures).toEqual([]);
    expect(processOnce.mock.calls.map(([input]) => input.idempotencyKey)).toEqual([
      '111111:a:mix_stop:1',
      '111111:b:mix_stop:2',
    ]);
  });

  it('stops a group at its first failure and goes on with other groups', async () => {
    const [a1, a2, b1, a3, b2] = [
      record('a', '1'),
      record('a', '2'),
      record('b', '3'),
      record('a', '4'),
      record('b', '5'),
    ];
    const { processOnce, seen } = processFailingOn('2');
    const response = await consumeBatch(sqsEvent(a1, a2, b1, a3, b2), lambdaContext(), {
      ...deps,
      processOnce,
    });
    expect(failedIds(response)).toEqual([a2.messageId, a3.messageId]);
    // In order within each group; seq 4 never ran, since 2 failed before it.
    expect(seen.filter((s) => ['1', '2', '4'].includes(s))).toEqual(['1', '2']);
    expect(seen.filter((s) => ['3', '5'].includes(s))).toEqual(['3', '5']);
  });

  it('processes different groups concurrently, each in order', async () => {
    let releaseA: () => void = () => {};
    const bDone = new Promise<void>((resolve) => {
      releaseA = resolve;
    });
    const seen: string[] = [];
    const processOnce = vi.fn(async ({ message }: MessageInput) => {
      const { task_id: task, seq } = isReconciliation(message)
        ? message.reconciliation
        : (message.callback as { task_id: string; seq: string });
      // Group a waits for group b to finish: sequential groups would never get there.
      if (task === 'a' && seq === '1') await bDone;
      seen.push(seq);
      if (task === 'b' && seq === '4') releaseA();
      return ok;
    });
    const response = await consumeBatch(
      sqsEvent(record('a', '1'), record('a', '2'), record('b', '3'), record('b', '4')),
      lambdaContext(),
      { ...deps, processOnce },
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(seen).toEqual(['3', '4', '1', '2']);
  });

  it('reports a batch in which every record failed record by record, without throwing', async () => {
    const [a1, b1] = [record('a', '1'), record('b', '2')];
    const { processOnce } = processFailingOn('1', '2');
    const response = await consumeBatch(sqsEvent(a1, b1), lambdaContext(), { ...deps, processOnce });
    expect(failedIds(response)).toEqual([a1.messageId, b1.messageId]);
  });

  it.each([
    ['not JSON', 'not json', /not JSON/],
    [
      'another version',
      JSON.stringify({ version: 99, receivedAt: '2026-11-28T00:00:00.000Z', callback: {} }),
      /version/,
    ],
    [
      'a callback of the wrong shape',
      JSON.stringify({ version: 1, receivedAt: '2026-11-28T00:00:00.000Z', callback: { event: 'mix_stop' } }),
      /task_id/,
    ],
  ])(
    'moves a message that is %s to the dead-letter queue at once; its group goes on',
    async (_case, body, why) => {
      const { metrics: captured, emitted } = capturedMetrics('consumer');
      const poison = sqsRecord(signedCallback({ task_id: 'a', seq: '1' }), { body });
      const [a2, b1] = [record('a', '2'), record('b', '3')];
      const { processOnce, seen } = processFailingOn();
      const response = await consumeBatch(sqsEvent(poison, a2, b1), lambdaContext(), {
        ...deps,
        processOnce,
        metrics: captured,
      });
      expect(response.batchItemFailures).toEqual([]);
      expect(deadLettered).toEqual([{ messageId: poison.messageId, reason: expect.stringMatching(why) }]);
      expect([...seen].sort()).toEqual(['2', '3']);
      expect(total(emitted(), 'PoisonMessage')).toBe(1);
    },
  );

  it('fails a poison record (and its group) when the dead-letter queue does not take it', async () => {
    const poison = sqsRecord(signedCallback({ task_id: 'a', seq: '1' }), { body: 'not json' });
    const [a2, b1] = [record('a', '2'), record('b', '3')];
    const { processOnce, seen } = processFailingOn();
    const deadLetter = async () => {
      throw new Error('SQS down');
    };
    const response = await consumeBatch(sqsEvent(poison, a2, b1), lambdaContext(), {
      ...deps,
      deadLetter,
      processOnce,
    });
    expect(failedIds(response)).toEqual([poison.messageId, a2.messageId]);
    expect(seen).toEqual(['3']);
  });

  it('processes again, in the same warm instance, a record that failed in the previous batch', async () => {
    const a1 = record('a', '1');
    let attempts = 0;
    const processOnce = vi.fn(async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('first attempt fails');
      return ok;
    });
    const first = await consumeBatch(sqsEvent(a1), lambdaContext(), { ...deps, processOnce });
    const second = await consumeBatch(
      sqsEvent({ ...a1, attributes: { ...a1.attributes, ApproximateReceiveCount: '2' } }),
      lambdaContext(),
      { ...deps, processOnce },
    );
    expect(failedIds(first)).toEqual([a1.messageId]);
    expect(second.batchItemFailures).toEqual([]);
    expect(processOnce).toHaveBeenCalledTimes(2);
  });

  describe('on the last delivery (ApproximateReceiveCount >= maxReceiveCount)', () => {
    const failureLogs = async (records: SQSRecord[], failingSeqs: string[], maxReceiveCount?: number) => {
      const { logger, records: logged } = capturedLogger();
      const inProgress = new IdempotencyAlreadyInProgressError('in progress');
      const processOnce = vi.fn(async ({ message }: MessageInput) => {
        if (!('callback' in message)) return ok;
        if (message.callback.seq === '9') throw inProgress;
        if (failingSeqs.includes(message.callback.seq)) throw new Error('hook failed');
        return ok;
      });
      await consumeBatch(sqsEvent(...records), lambdaContext(), {
        ...deps,
        logger,
        processOnce,
        ...(maxReceiveCount === undefined ? {} : { maxReceiveCount }),
      });
      return logged().filter((line) => line.level !== 'DEBUG');
    };

    it('logs that a failed callback now moves to the dead-letter queue, with its identity', async () => {
      const [logged] = await failureLogs([record('a', '1', 3)], ['1'], 3);
      expect(logged).toMatchObject({
        level: 'ERROR',
        message: 'callback failed on its last delivery; SQS moves it to the dead-letter queue',
        appid: '111111',
        task_id: 'a',
        event: 'mix_stop',
        seq: '1',
        receiveCount: 3,
        maxReceiveCount: 3,
        outcome: 'failed',
        toDeadLetterQueue: true,
        error: { message: 'hook failed' },
      });
    });

    it('says SQS delivers it again before the last delivery', async () => {
      const [logged] = await failureLogs([record('a', '1', 2)], ['1'], 3);
      expect(logged).toMatchObject({ message: 'callback failed; SQS delivers it again', receiveCount: 2 });
      expect(logged).not.toHaveProperty('toDeadLetterQueue');
    });

    it('takes 5 deliveries as the last when not told (the default maxReceiveCount)', async () => {
      const [fourth] = await failureLogs([record('a', '1', 4)], ['1']);
      const [fifth] = await failureLogs([record('b', '2', 5)], ['2']);
      expect(fourth?.message).toBe('callback failed; SQS delivers it again');
      expect(fifth?.message).toBe(
        'callback failed on its last delivery; SQS moves it to the dead-letter queue',
      );
    });

    it('logs a callback still in progress elsewhere on its last delivery as moving to the DLQ', async () => {
      const [logged] = await failureLogs([record('a', '9', 5)], [], 5);
      expect(logged).toMatchObject({
        level: 'ERROR',
        message:
          'callback still in progress elsewhere on its last delivery; SQS moves it to the dead-letter queue',
        seq: '9',
        toDeadLetterQueue: true,
      });
    });

    it('logs the records skipped behind a failure of their task, which leave with it', async () => {
      const [a1, a2, b1] = [record('a', '1', 5), record('a', '2', 5), record('b', '3', 5)];
      const logged = await failureLogs([a1, a2, b1], ['1'], 5);
      expect(logged.map((line) => [line.message, line.messageId])).toEqual([
        ['callback failed on its last delivery; SQS moves it to the dead-letter queue', a1.messageId],
        [
          'callback skipped behind a failure, on its last delivery; SQS moves it to the dead-letter queue',
          a2.messageId,
        ],
      ]);
      expect(logged[1]).toMatchObject({
        level: 'ERROR',
        groupId: a1.attributes.MessageGroupId,
        receiveCount: 5,
        outcome: 'failed',
        toDeadLetterQueue: true,
      });
    });

    it('logs nothing for the records skipped behind a failure before their last delivery', async () => {
      const [a1, a2] = [record('a', '1', 4), record('a', '2', 4)];
      const logged = await failureLogs([a1, a2], ['1'], 5);
      expect(logged.map((line) => [line.message, line.messageId])).toEqual([
        ['callback failed; SQS delivers it again', a1.messageId],
      ]);
    });
  });

  it('counts failed records, and callbacks in progress elsewhere apart', async () => {
    const { metrics: captured, emitted } = capturedMetrics('consumer');
    const inProgress = new IdempotencyAlreadyInProgressError('in progress');
    // Two of one and one of the other: each count must follow its own kind.
    const processOnce = vi.fn(async ({ message }: MessageInput) => {
      if (['1', '3'].includes(seqOf(message))) throw new Error('hook failed');
      if (seqOf(message) === '2') throw inProgress;
      return ok;
    });
    const batch = sqsEvent(record('a', '1'), record('b', '2'), record('c', '3'), record('d', '4'));
    const response = await consumeBatch(batch, lambdaContext(), { ...deps, processOnce, metrics: captured });
    expect(response.batchItemFailures).toHaveLength(3);
    const out = emitted();
    expect(total(out, 'ProcessingFailed')).toBe(2);
    expect(total(out, 'InProgressElsewhere')).toBe(1);
    expect(total(out, 'PoisonMessage')).toBe(0);
  });
});

describe('consumeBatch logs', () => {
  it('a failed record and one in progress elsewhere with their ids, where SQS holds them, and the outcome', async () => {
    const { logger, records } = capturedLogger();
    const failing = sqsRecord(signedCallback({ task_id: 'a', seq: '1' }), { receiveCount: 3 });
    const busy = record('b', '2');
    const processOnce = vi.fn(async ({ message }: MessageInput) => {
      if (seqOf(message) === '2') throw new IdempotencyAlreadyInProgressError('in progress');
      throw new Error('hook failed');
    });
    await consumeBatch(sqsEvent(failing, busy), lambdaContext(), { ...deps, logger, processOnce });
    const logged = records().filter((entry) => 'message' in entry);
    expect(logged.find((entry) => entry.outcome === 'failed')).toMatchObject({
      level: 'ERROR',
      messageId: failing.messageId,
      groupId: '111111:a',
      receiveCount: 3,
      appid: '111111',
      task_id: 'a',
      event: 'mix_stop',
      seq: '1',
      error: { message: 'hook failed' },
    });
    expect(logged.find((entry) => entry.outcome === 'retry')).toMatchObject({
      level: 'INFO',
      messageId: busy.messageId,
      task_id: 'b',
      seq: '2',
    });
  });

  it('a failed reconciliation under the #reconcile event', async () => {
    const { logger, records } = capturedLogger();
    const reconciliation = { appid: '111111', task_id: 'a', seq: '7', checkedAt: '2026-11-28T00:00:00.000Z' };
    const r = { ...record('a', '7'), body: encodeMessageBody(toQueuedReconciliation(reconciliation, 0)) };
    const { processOnce } = processFailingOn('7');
    await consumeBatch(sqsEvent(r), lambdaContext(), { ...deps, logger, processOnce });
    expect(records().find((entry) => entry.outcome === 'failed')).toMatchObject({
      appid: '111111',
      task_id: 'a',
      seq: '7',
      event: '#reconcile',
    });
  });

  it('a dead-lettered message with its SQS ids and the reason', async () => {
    const { logger, records } = capturedLogger();
    const poison = sqsRecord(signedCallback({ task_id: 'a', seq: '1' }), { body: 'not json' });
    const { processOnce } = processFailingOn();
    await consumeBatch(sqsEvent(poison), lambdaContext(), { ...deps, logger, processOnce });
    expect(records().filter((entry) => 'message' in entry)).toMatchObject([
      {
        level: 'ERROR',
        messageId: poison.messageId,
        groupId: '111111:a',
        receiveCount: 1,
        outcome: 'dead_lettered',
        reason: 'the message body is not JSON',
      },
    ]);
  });
});

describe('consumeBatch with reconciliation messages', () => {
  const reconciliation = { appid: '111111', task_id: 'a', seq: '1', checkedAt: '2026-11-28T00:00:00.000Z' };
  const reconcileRecord = (body: string) => {
    const base = record('a', '1');
    return { ...base, body, messageId: `${base.messageId}-r` };
  };

  it('keys a reconciliation by its own identity, in order with its task’s callbacks', async () => {
    const { processOnce, seen } = processFailingOn();
    const r = reconcileRecord(encodeMessageBody(toQueuedReconciliation(reconciliation, 0)));
    const response = await consumeBatch(sqsEvent(record('a', '0'), r, record('a', '2')), lambdaContext(), {
      ...deps,
      processOnce,
    });
    expect(response.batchItemFailures).toEqual([]);
    expect(processOnce.mock.calls.map(([input]) => input.idempotencyKey)).toEqual([
      '111111:a:mix_stop:0',
      '111111:a:#reconcile:1',
      '111111:a:mix_stop:2',
    ]);
    expect(seen).toEqual(['0', '1', '2']);
  });

  it('moves a reconciliation it cannot read to the dead-letter queue at once', async () => {
    const body = JSON.stringify({ version: 1, receivedAt: '2026-11-28T00:00:00.000Z', reconciliation: {} });
    const { processOnce } = processFailingOn();
    const r = reconcileRecord(body);
    await consumeBatch(sqsEvent(r), lambdaContext(), { ...deps, processOnce });
    expect(deadLettered).toEqual([
      { messageId: r.messageId, reason: expect.stringMatching(/reconciliation/) },
    ]);
    expect(processOnce).not.toHaveBeenCalled();
  });
});

describe("the consumer's MAX_RECEIVE_COUNT (serverless.yml: the queue's maxReceiveCount)", () => {
  const env = {
    STAGE: 'test',
    TASKS_TABLE: 'tasks',
    IDEMPOTENCY_TABLE: 'idempotency',
    DEAD_LETTER_QUEUE_URL: 'http://127.0.0.1:9324/000000000000/dlq.fifo',
  };

  it('is 5 when unset or empty, like the queue', () => {
    expect(loadConsumerConfig(env).MAX_RECEIVE_COUNT).toBe(5);
    expect(loadConsumerConfig({ ...env, MAX_RECEIVE_COUNT: '' }).MAX_RECEIVE_COUNT).toBe(5);
  });

  it('reads the count given', () => {
    expect(loadConsumerConfig({ ...env, MAX_RECEIVE_COUNT: '3' }).MAX_RECEIVE_COUNT).toBe(3);
  });

  it('refuses a count below 1, naming the variable', () => {
    expect(() => loadConsumerConfig({ ...env, MAX_RECEIVE_COUNT: '0' })).toThrow(/MAX_RECEIVE_COUNT/);
  });
});
