import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTask } from '../../lib/store/task-reads';
import { encodeCallback } from '../../tools/zego-fake/callbacks';
import { postCallback } from '../../tools/zego-fake/delivery';
import { signedCallback, signedMixStart } from '../support/callbacks';
import { startFaultStack } from '../support/fault-stack';

let faults: Awaited<ReturnType<typeof startFaultStack>>;
const effects = new Map<string, number>();
const count = async (_event: unknown, { idempotencyKey }: { idempotencyKey: string }) => {
  effects.set(idempotencyKey, (effects.get(idempotencyKey) ?? 0) + 1);
};

beforeAll(async () => {
  // As deployed, the visibility timeout is longer than the Lambda timeout (180 s and 30 s), so an
  // in-progress record left by a failed invocation has expired when the message comes back. The
  // timeout leaves room for a busy machine: an invocation timed out after its hook returned would
  // run the hook again (docs/hooks.md), which is not the fault this test injects.
  faults = await startFaultStack({
    visibilityTimeout: 5,
    consumerTimeoutMs: 4_000,
    hooks: { onMixStarted: count, onMixStopped: count },
  });
});
afterAll(() => faults?.stop());

describe('DynamoDB failing during consumption', () => {
  it('retries the records; none is lost, none applied twice', async () => {
    const now = String(Math.floor(Date.now() / 1000));
    faults.dynamoProxy.set('refuse');
    const callbacks = Array.from({ length: 12 }, (_, i) => [
      signedMixStart({ timestamp: now, task_id: `ddb-${i}`, seq: String(100 + 2 * i) }),
      signedCallback({ timestamp: now, task_id: `ddb-${i}`, seq: String(101 + 2 * i) }),
    ]).flat();
    for (const fields of callbacks) {
      const { body, contentType } = encodeCallback(fields, 'json');
      expect((await postCallback(faults.callbackUrl, body, contentType)).status).toBe(200);
    }
    // DynamoDB refuses for 1.5 s, then throttles every request for 1.5 s, then recovers.
    await sleep(1_500);
    faults.dynamoProxy.set('throttle');
    await sleep(1_500);
    faults.dynamoProxy.set('pass');
    await faults.settle();

    for (let i = 0; i < 12; i++) {
      const task = await getTask('111111', `ddb-${i}`, {
        tableName: faults.stack.tables.tasks,
        client: faults.stack.clients.dynamo,
      });
      expect(task).toMatchObject({ status: 'stopped', seq: String(101 + 2 * i), startedAt: Number(now) });
      expect(effects.get(`111111:ddb-${i}:mix_start:${100 + 2 * i}`)).toBe(1);
      expect(effects.get(`111111:ddb-${i}:mix_stop:${101 + 2 * i}`)).toBe(1);
    }
    expect(effects.size).toBe(24);
    expect(faults.consumed.failedRecords).toBeGreaterThan(0); // the fault was hit, and survived
    expect(await faults.deadLetterDepth()).toBe(0);
  }, 60_000);
});
