import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTask } from '../../lib/store/task-reads';
import { encodeCallback } from '../../tools/zego-fake/callbacks';
import { deliverLikeZego, type ZegoDelivery } from '../../tools/zego-fake/delivery';
import { signedCallback } from '../support/callbacks';
import { startFaultStack } from '../support/fault-stack';

// ZEGO's 62 s of retries at 1/20 scale: 0.1, 0.2, 0.4, 0.8, 1.6 s (3.1 s in all).
const TIME_SCALE = 0.05;
let faults: Awaited<ReturnType<typeof startFaultStack>>;
const effects = new Map<string, number>();

beforeAll(async () => {
  faults = await startFaultStack({
    visibilityTimeout: 2,
    consumerTimeoutMs: 1_500,
    hooks: {
      onMixStopped: async (_event, { idempotencyKey }) => {
        effects.set(idempotencyKey, (effects.get(idempotencyKey) ?? 0) + 1);
      },
    },
  });
});
afterAll(() => faults?.stop());

/** Sends `count` distinct callbacks, one every `everyMs`, each retried as ZEGO would. */
async function sendSpread(prefix: string, count: number, everyMs: number) {
  const sent: { taskId: string; key: string; sentAt: number; delivery: Promise<ZegoDelivery> }[] = [];
  for (let i = 0; i < count; i++) {
    const fields = signedCallback({
      timestamp: String(Math.floor(Date.now() / 1000)),
      task_id: `${prefix}-${i}`,
      seq: String(i + 1),
    });
    const { body, contentType } = encodeCallback(fields, 'json');
    sent.push({
      taskId: `${prefix}-${i}`,
      key: `111111:${prefix}-${i}:mix_stop:${i + 1}`,
      sentAt: performance.now(),
      delivery: deliverLikeZego(faults.callbackUrl, body, contentType, {
        timeScale: TIME_SCALE,
        attemptTimeoutMs: 3_000,
      }),
    });
    await sleep(everyMs);
  }
  return Promise.all(sent.map(async (s) => ({ ...s, delivery: await s.delivery })));
}

describe('SQS down while callbacks arrive', () => {
  it('acknowledges nothing it did not queue, and processes every delivered callback exactly once', async () => {
    effects.clear();
    // Callbacks from t=0 to t=3.5 s; SQS refuses connections from 0.3 s to 5.3 s, then hangs
    // until 5.9 s. The first ones get through; those sent early in the outage exhaust ZEGO's
    // 3.1 s of (scaled) retries inside it and are lost; the late ones succeed on a retry after it.
    let outageAt = Number.POSITIVE_INFINITY;
    const outage = (async () => {
      await sleep(300);
      outageAt = performance.now();
      faults.sqsProxy.set('refuse');
      await sleep(5_000);
      faults.sqsProxy.set('hang');
      await sleep(600);
      faults.sqsProxy.set('pass');
    })();
    const results = await sendSpread('outage', 36, 100);
    await outage;
    await faults.settle();

    const outcomes = results.map((r) => r.delivery.outcome);
    expect(outcomes).toContain('delivered');
    expect(outcomes).toContain('lost');
    expect(results.some((r) => r.delivery.outcome === 'delivered' && r.delivery.attempts.length > 1)).toBe(
      true,
    );

    for (const { taskId, key, sentAt, delivery } of results) {
      const task = await getTask('111111', taskId, {
        tableName: faults.stack.tables.tasks,
        client: faults.stack.clients.dynamo,
      });
      if (delivery.outcome === 'delivered') {
        expect({ key, task: task?.status, effects: effects.get(key) }).toEqual({
          key,
          task: 'stopped',
          effects: 1,
        });
      } else if (
        delivery.attempts.some((attempt) => attempt.status === undefined) ||
        (sentAt + (delivery.attempts[0]?.ms ?? 0) >= outageAt && sentAt <= outageAt)
      ) {
        // ZEGO stopped waiting on an attempt that may still have queued the callback after it gave
        // up (a loaded machine), or the outage began while the first attempt's SendMessage was in
        // flight: SQS may have taken the message and the dropped connection lost only its answer,
        // so ingest rightly answered 503. Never acknowledged; if queued, processed once.
        const queued = task !== undefined;
        expect({ key, task: task?.status, effects: effects.get(key) }).toEqual({
          key,
          task: queued ? 'stopped' : undefined,
          effects: queued ? 1 : undefined,
        });
      } else {
        // Lost by ZEGO, every attempt answered with a refusal: never queued, so no effect.
        expect({ key, task, effects: effects.get(key) }).toEqual({
          key,
          task: undefined,
          effects: undefined,
        });
      }
      for (const attempt of delivery.attempts.slice(0, -1)) expect(attempt.status ?? 503).toBe(503);
    }
    expect(await faults.deadLetterDepth()).toBe(0);
  }, 60_000);
});
