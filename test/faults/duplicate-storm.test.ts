import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MixStoppedEvent } from '../../lib/hook-contract';
import { prepareReconciliation, sendMessage } from '../../lib/queue/enqueue';
import { appTasks } from '../../lib/store/task-reads';
import { encodeCallback } from '../../tools/zego-fake/callbacks';
import { postCallback } from '../../tools/zego-fake/delivery';
import { signedCallback, signedMixStart } from '../support/callbacks';
import { collect } from '../support/collect';
import { startFaultStack } from '../support/fault-stack';
import { drain } from '../support/queue';

const TASKS = 40;
const APPID = '111111';
let faults: Awaited<ReturnType<typeof startFaultStack>>;
/** Hook calls per run id: `started`, `updated`, `stopped` (and how: `inferred` or not). */
const calls = new Map<string, string[]>();
const record = async (runId: string, what: string) => {
  calls.set(runId, [...(calls.get(runId) ?? []), what]);
};

beforeAll(async () => {
  faults = await startFaultStack({
    visibilityTimeout: 2,
    consumerTimeoutMs: 1_500,
    pollers: 2,
    hooks: {
      onMixStarted: async ({ runId }) => record(runId, 'started'),
      onMixUpdated: async ({ runId }) => record(runId, 'updated'),
      onMixStopped: async (event: MixStoppedEvent) =>
        record(event.runId, event.inferred ? 'stopped (inferred)' : 'stopped'),
    },
  });
});
afterAll(() => faults?.stop());

/** What ZEGO (or the scheduled check) sends; a reconciliation names the run's seq the check saw. */
type Sent =
  | { kind: 'mix_start' | 'mix_stop'; task: string; seq: number }
  | { kind: 'reconciliation'; task: string; seq: number };

/**
 * Every task is one or two runs, each with the shapes ZEGO can produce: a start, sometimes an
 * update (a second start), a stop, sometimes a second stop (StopMix called twice) or a stop that
 * reuses the start's seq; sometimes the scheduled check finds the run gone and queues a
 * reconciliation that races the genuine stop.
 */
function tasks(): Sent[][] {
  return Array.from({ length: TASKS }, (_, i) => {
    const task = `storm-${i}`;
    const base = 1000 + 100 * i;
    const run = (first: number): Sent[] => {
      const sent: Sent[] = [{ kind: 'mix_start', task, seq: first }];
      if (i % 4 === 1) sent.push({ kind: 'mix_start', task, seq: first + 1 });
      const stopSeq = i % 5 === 2 ? first : first + 2;
      sent.push({ kind: 'mix_stop', task, seq: stopSeq });
      if (i % 3 === 0) sent.push({ kind: 'mix_stop', task, seq: first + 3 });
      if (i % 4 === 3) sent.push({ kind: 'reconciliation', task, seq: first });
      return sent;
    };
    return i % 2 === 0 ? [...run(base), ...run(base + 10)] : run(base);
  });
}

/** The messages in the order they first arrive (a repeat is a duplicate). */
function firstArrivals(order: Sent[]): Sent[] {
  const seen = new Set<string>();
  return order.filter((sent) => {
    const key = `${sent.kind}:${sent.task}:${sent.seq}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The runs a task goes through when its messages arrive in `order` (duplicates dropped), written as
 * the rules of docs/hooks.md say them: a start begins a run when the task is not running and the
 * seq is above the task's, and updates it when running; the first stop at or above the task's seq
 * stops the run (a stop outranks a start of its seq); a reconciliation stops the run only if it is
 * still running with the seq it names; anything older changes nothing.
 */
function model(order: Sent[]): Map<string, string[]> {
  const runs = new Map<string, string[]>();
  const tasks = new Map<string, { running: boolean; seq: number; run: string }>();
  for (const sent of order) {
    const task = tasks.get(sent.task);
    const hook = (run: string, what: string) => runs.set(run, [...(runs.get(run) ?? []), what]);
    if (sent.kind === 'reconciliation') {
      if (task?.running && task.seq === sent.seq) {
        task.running = false;
        hook(task.run, 'stopped (inferred)');
      }
      continue;
    }
    const run = `${APPID}:${sent.task}:${sent.seq}`;
    if (sent.kind === 'mix_start') {
      if (!task || (!task.running && sent.seq > task.seq)) {
        tasks.set(sent.task, { running: true, seq: sent.seq, run });
        hook(run, 'started');
      } else if (task.running && sent.seq > task.seq) {
        task.seq = sent.seq;
        hook(task.run, 'updated');
      }
    } else if (!task) {
      tasks.set(sent.task, { running: false, seq: sent.seq, run });
      hook(run, 'stopped');
    } else if (sent.seq >= task.seq) {
      if (task.running) hook(task.run, 'stopped');
      task.running = false;
      task.seq = sent.seq;
    }
  }
  return runs;
}

describe('a duplicate storm', () => {
  it('calls each hook once per run, as the run model says, whatever is repeated, reordered or spliced', async () => {
    const distinct = tasks().flat();
    // 30% sent twice, everything shuffled: stops often arrive before their starts. The first order
    // from this seed on that reaches every shape (an update, a reconciled stop) is the one sent.
    const shuffled = (seed: number) =>
      fc.sample(
        fc.shuffledSubarray([...distinct, ...distinct.filter((_, i) => i % 10 < 3)], {
          minLength: distinct.length + Math.floor(distinct.length * 0.3),
        }),
        { numRuns: 1, seed },
      )[0] ?? [];
    const everyShape = (sent: Sent[]) => {
      const hooks = [...model(firstArrivals(sent)).values()].flat();
      return ['updated', 'stopped (inferred)', 'stopped'].every((shape) => hooks.includes(shape));
    };
    let seed = Date.now();
    while (!everyShape(shuffled(seed))) seed += 1;
    const order = shuffled(seed);
    expect(order.length).toBeGreaterThan(distinct.length);

    const now = String(Math.floor(Date.now() / 1000));
    let spliced = 0;
    const arrived = firstArrivals(order);
    for (const [index, sent] of order.entries()) {
      if (sent.kind === 'reconciliation') {
        const reconciliation = {
          appid: APPID,
          task_id: sent.task,
          seq: String(sent.seq),
          checkedAt: new Date().toISOString(),
        };
        await sendMessage(prepareReconciliation(reconciliation, Date.now()), {
          queueUrl: faults.stack.queue.url,
          timeoutMs: 3_000,
          sqs: faults.stack.clients.sqs,
        });
        continue;
      }
      const build = sent.kind === 'mix_start' ? signedMixStart : signedCallback;
      const fields = build({ timestamp: now, task_id: sent.task, seq: String(sent.seq) });
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
      // Every fifth other one, a forged body under the genuine identity: refused, the genuine kept.
      if (index % 5 === 1) {
        const forged = encodeCallback({ ...fields, mix_url: 'rtmp://attacker.example/live' }, 'json');
        expect((await postCallback(faults.callbackUrl, forged.body, forged.contentType)).status).toBe(401);
        spliced += 1;
      }
    }
    expect(spliced).toBeGreaterThan(20);
    await faults.settle();

    // A reconciliation queued with the check's time is a message like any other; each arrives once.
    const expected = model(arrived);
    const byRun = (runs: Map<string, string[]>) =>
      Object.fromEntries([...runs].map(([run, hooks]) => [run, [...hooks].sort()]).sort());
    expect(byRun(calls), `seed ${seed}`).toEqual(byRun(expected));
    // Every run stopped at most once and started at most once, whatever came twice.
    for (const hooks of calls.values()) {
      expect(hooks.filter((hook) => hook.startsWith('stopped')).length, `seed ${seed}`).toBeLessThanOrEqual(
        1,
      );
      expect(hooks.filter((hook) => hook === 'started').length, `seed ${seed}`).toBeLessThanOrEqual(1);
    }
    // The storm reaches every shape: updates, repeated stops, reconciled runs, runs with no start.
    const all = [...calls.values()].flat();
    expect(all, `seed ${seed}`).toEqual(expect.arrayContaining(['updated', 'stopped (inferred)', 'stopped']));

    const tasksNow = await collect(
      appTasks(APPID, { tableName: faults.stack.tables.tasks, client: faults.stack.clients.dynamo }),
    );
    const stormTasks = tasksNow.filter((t) => t.task_id.startsWith('storm-'));
    expect(stormTasks).toHaveLength(TASKS);
    // No forged body reached the store; each was kept apart for the operator.
    expect(stormTasks.filter((t) => t.mix_url?.includes('attacker'))).toEqual([]);
    const refused = await drain(faults.stack.clients.sqs, faults.stack.refusedQueue.url);
    expect(refused.length).toBeGreaterThanOrEqual(spliced);
    const dead = await drain(faults.stack.clients.sqs, faults.stack.deadLetterQueue.url);
    expect(
      dead.map((message) => message.Body),
      `seed ${seed}`,
    ).toEqual([]);
  }, 90_000);
});
