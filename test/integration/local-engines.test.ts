import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoSignatureBindings } from '../../lib/ingest/signature-bindings';
import { parseQueuedCallback, type QueuedMixStart, type QueuedMixStop } from '../../lib/queue/message';
import { applyMixEvent } from '../../lib/store/apply-mix-event';
import { type LocalStack, startLocalStack as startOwnStack } from '../../tools/local-stack/stack';
import { signedCallback, signedMixStart, TEST_SECRET } from '../support/callbacks';
import { startLocalStack, type LocalStack as TestStack } from '../support/local-stack';
import { queuedBody } from '../support/messages';

// `npm start` runs dynalite (no Java); the tests run DynamoDB Local, AWS's engine. Where dynalite
// differs in what the code relies on, tools/local-stack closes the gap; this shows both engines
// give the store and the signature bindings the same answers.
let dynamoLocal: TestStack;
let dynalite: LocalStack;
beforeAll(async () => {
  [dynamoLocal, dynalite] = await Promise.all([
    startLocalStack(),
    startOwnStack({ dynamo: 'dynalite', secret: TEST_SECRET }),
  ]);
});
afterAll(async () => {
  await Promise.all([dynamoLocal?.stop(), dynalite?.stop()]);
});

const engines = () =>
  [
    ['DynamoDB Local', dynamoLocal],
    ['dynalite', dynalite],
  ] as const;
const stop = (o = {}) => parseQueuedCallback(queuedBody(signedCallback(o))).callback as QueuedMixStop;
const start = (o = {}) => parseQueuedCallback(queuedBody(signedMixStart(o))).callback as QueuedMixStart;

describe('the local engines answer alike', () => {
  it('a refused conditional write returns the task as it stands (ReturnValuesOnConditionCheckFailure)', async () => {
    const outcomes = [];
    for (const [, stack] of engines()) {
      const store = {
        tableName: stack.tables.tasks,
        stoppedRetentionSeconds: 3_600,
        client: stack.clients.dynamo,
      };
      await applyMixEvent(start({ task_id: 'engines', seq: '10' }), '2026-01-01T00:00:00.000Z', store);
      await applyMixEvent(start({ task_id: 'engines', seq: '11' }), '2026-01-01T00:00:01.000Z', store);
      const stale = await applyMixEvent(
        stop({ task_id: 'engines', seq: '9' }),
        '2026-01-01T00:00:02.000Z',
        store,
      );
      outcomes.push({
        outcome: stale.outcome,
        transition: stale.transition,
        seq: stale.task?.seq,
        runId: stale.task?.runId,
      });
    }
    expect(outcomes[0]).toEqual({
      outcome: 'stale',
      transition: 'stale',
      seq: '11',
      runId: '111111:engines:10',
    });
    expect(outcomes[1]).toEqual(outcomes[0]);
  });

  it('a reused signature is refused with the holder’s hash on both', async () => {
    const refusals = [];
    for (const [, stack] of engines()) {
      const bind = dynamoSignatureBindings({
        tableName: stack.tables.signatures,
        client: stack.clients.ingestDynamo,
      });
      const binding = {
        signature: 'f'.repeat(40),
        identity: '111111:t:mix_stop:1',
        expiresAt: Date.now() / 1000 + 60,
      };
      await bind({ ...binding, digest: 'genuine' });
      refusals.push(
        await bind({ ...binding, digest: 'forged' }).catch((error) => ({
          message: error.message,
          ...error.hashes,
        })),
      );
    }
    expect(refusals[0]).toMatchObject({
      message: expect.stringContaining('same identity'),
      heldBodyHash: expect.any(String),
    });
    expect(refusals[1]).toEqual(refusals[0]);
  });
});
