import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryTasks } from '../../lib/store/task-store';
import { encodeCallback } from '../../tools/zego-fake/callbacks';
import { postCallback } from '../../tools/zego-fake/delivery';
import { signedCallback, signedMixStart } from '../support/callbacks';
import { startFaultStack } from '../support/fault-stack';

const TASKS = 40;
let faults: Awaited<ReturnType<typeof startFaultStack>>;
const hookCalls = new Map<string, number>();

const count = async (_event: unknown, { idempotencyKey }: { idempotencyKey: string }) => {
  hookCalls.set(idempotencyKey, (hookCalls.get(idempotencyKey) ?? 0) + 1);
};

beforeAll(async () => {
  faults = await startFaultStack({
    visibilityTimeout: 2,
    consumerTimeoutMs: 1_500,
    pollers: 2,
    hooks: { onMixStarted: count, onMixStopped: count },
  });
});
afterAll(() => faults?.stop());

interface Sent {
  event: 'mix_start' | 'mix_stop';
  task: string;
  seq: number;
}

describe('a duplicate storm', () => {
  it('ends in the model’s task states with one hook call per applied callback', async () => {
    // Each task has a start (seq 2i) and a stop (seq 2i+1); 30% of callbacks are sent again;
    // everything is shuffled, so stops often arrive before their starts.
    const distinct: Sent[] = Array.from({ length: TASKS }, (_, i) => [
      { event: 'mix_start' as const, task: `storm-${i}`, seq: 2 * i + 1000 },
      { event: 'mix_stop' as const, task: `storm-${i}`, seq: 2 * i + 1001 },
    ]).flat();
    const seed = Date.now();
    const order =
      fc.sample(
        fc.shuffledSubarray([...distinct, ...distinct.filter((_, i) => i % 10 < 3)], {
          minLength: distinct.length + Math.floor(distinct.length * 0.3),
        }),
        { numRuns: 1, seed },
      )[0] ?? [];
    expect(order.length).toBeGreaterThan(distinct.length);

    const now = String(Math.floor(Date.now() / 1000));
    let spliced = 0;
    for (const [index, { event, task, seq }] of order.entries()) {
      const build = event === 'mix_start' ? signedMixStart : signedCallback;
      const fields = build({ timestamp: now, task_id: task, seq: String(seq) });
      const { body, contentType } = encodeCallback(fields, 'json');
      expect((await postCallback(faults.callbackUrl, body, contentType)).status, `seed ${seed}`).toBe(200);
      // Every fifth callback, an attacker replays its signature on a stop of another task with a
      // seq that would freeze it: refused, never applied, no hook.
      if (index % 5 === 0) {
        const victim = `storm-${(index + 7) % TASKS}`;
        const splice = encodeCallback(
          { ...fields, event: 'mix_stop', task_id: victim, seq: '99999999999' },
          'json',
        );
        expect((await postCallback(faults.callbackUrl, splice.body, splice.contentType)).status).toBe(401);
        spliced += 1;
      }
    }
    expect(spliced).toBeGreaterThan(10);
    await faults.settle();

    // The model: per task, callbacks apply in the order first sent, each only above the last seq.
    const model = new Map<string, { status: string; seq: number }>();
    const applied = new Set<string>();
    const seen = new Set<string>();
    for (const { event, task, seq } of order) {
      const key = `111111:${task}:${event}:${seq}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const current = model.get(task);
      if (current && current.seq > seq) continue;
      model.set(task, { status: event === 'mix_start' ? 'running' : 'stopped', seq });
      applied.add(key);
    }

    expect(applied.size, 'some starts arrived after their stops').toBeLessThan(distinct.length);

    const tasks = await queryTasks('111111', {
      tableName: faults.stack.tables.tasks,
      client: faults.stack.clients.dynamo,
    });
    const actual = Object.fromEntries(
      tasks
        .filter((t) => t.task_id.startsWith('storm-'))
        .map((t) => [t.task_id, { status: t.status, seq: Number(t.seq) }]),
    );
    expect(actual, `seed ${seed}`).toEqual(Object.fromEntries(model));
    expect([...hookCalls.keys()].sort(), `seed ${seed}`).toEqual([...applied].sort());
    expect(
      [...hookCalls.values()].every((calls) => calls === 1),
      `seed ${seed}`,
    ).toBe(true);
    expect(await faults.deadLetterDepth()).toBe(0);
  }, 60_000);
});
