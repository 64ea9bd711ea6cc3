import { setTimeout } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCallback } from '../../tools/zego-fake/callbacks';
import { postCallback } from '../../tools/zego-fake/delivery';
import { signedCallback } from '../support/callbacks';
import { startFaultStack } from '../support/fault-stack';

let faults: Awaited<ReturnType<typeof startFaultStack>>;
const started = new Map<string, number>();
const completed = new Map<string, number>();

beforeAll(async () => {
  // A misconfiguration on purpose: the hook (2 s) outlives the visibility timeout (1 s), so SQS
  // hands the message to a free poller while another is still in the hook. The Lambda timeout
  // (10 s) keeps the first invocation's in-progress record alive meanwhile. Three pollers for two
  // callbacks: one is always free to take a redelivery.
  faults = await startFaultStack({
    visibilityTimeout: 1,
    consumerTimeoutMs: 10_000,
    pollers: 3,
    hooks: {
      onMixStopped: async (_event, { idempotencyKey }) => {
        started.set(idempotencyKey, (started.get(idempotencyKey) ?? 0) + 1);
        await setTimeout(2_000);
        completed.set(idempotencyKey, (completed.get(idempotencyKey) ?? 0) + 1);
      },
    },
  });
});
afterAll(() => faults?.stop());

describe('a hook slower than the visibility timeout', () => {
  it('still has one effect per callback', async () => {
    const now = String(Math.floor(Date.now() / 1000));
    for (const i of [1, 2]) {
      const { body, contentType } = encodeCallback(
        signedCallback({ timestamp: now, task_id: `slow-${i}`, seq: String(900 + i) }),
        'json',
      );
      expect((await postCallback(faults.callbackUrl, body, contentType)).status).toBe(200);
    }
    await faults.settle();
    expect(Object.fromEntries(completed)).toEqual({
      '111111:slow-1:mix_stop:901': 1,
      '111111:slow-2:mix_stop:902': 1,
    });
    expect(Object.fromEntries(started)).toEqual({
      '111111:slow-1:mix_stop:901': 1,
      '111111:slow-2:mix_stop:902': 1,
    });
    // The redelivery happened and was turned away while the first delivery was in its hook.
    expect(faults.consumed.failedRecords).toBeGreaterThan(0);
    expect(await faults.deadLetterDepth()).toBe(0);
  }, 60_000);
});
