import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { findEndedTasks } from '../../../lib/zego-server-api/find-ended-tasks';
import type { MixTaskInfoResult } from '../../../lib/zego-server-api/get-mix-task-info';

const RUNNING: MixTaskInfoResult = { state: 'running' };
const NOT_FOUND: MixTaskInfoResult = { state: 'not_found' };
const THROTTLED: MixTaskInfoResult = {
  state: 'unknown',
  reason: 'throttled',
  code: 110200194,
  detail: 'busy',
};
const TIMEOUT: MixTaskInfoResult = { state: 'unknown', reason: 'timeout', detail: 'no answer' };

const task = (id: string, runningSince?: number) => ({
  appid: '111111',
  task_id: `111111:${id}`,
  runningSince,
});

/** A fake sleep that records the waits and returns at once. */
function fakeSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

const ids = (tasks: { task_id: string }[]) => tasks.map((t) => t.task_id);

describe('findEndedTasks', () => {
  it('sorts tasks into ended, running and unknown from ZEGO answers, carrying each task through', async () => {
    const answers: Record<string, MixTaskInfoResult> = {
      '111111:a': NOT_FOUND,
      a: NOT_FOUND,
      '111111:b': NOT_FOUND,
      b: RUNNING,
      '111111:c': TIMEOUT,
      c: NOT_FOUND,
    };
    const tasks = [1, 2, 3].map((n) => ({ ...task('abc'[n - 1] ?? '', n), channel_id: `room-${n}` }));
    const plan = await findEndedTasks(tasks, {
      lookup: async (_appid, taskId) => answers[taskId] ?? RUNNING,
    });
    expect(plan.ended).toEqual([tasks[0]]);
    expect(plan.ended[0]).toBe(tasks[0]);
    expect(plan.ended[0]?.channel_id).toBe('room-1');
    expect(ids(plan.running)).toEqual(['111111:b']);
    expect(plan.unknown).toEqual([{ task: tasks[2], reason: 'timeout', detail: 'no answer' }]);
    expect(plan.skipped).toEqual([]);
    expect(plan.throttled).toBe(false);
  });

  it('passes the task appid with every lookup', async () => {
    const seen: string[] = [];
    await findEndedTasks([{ appid: '222', task_id: '222:x' }], {
      lookup: async (appid, taskId) => {
        seen.push(`${appid} ${taskId}`);
        return NOT_FOUND;
      },
    });
    expect(seen).toEqual(['222 222:x', '222 x']);
  });

  it.each([1, 3, 4])('keeps at most %i lookups in flight, and uses them all', async (concurrency) => {
    let inFlight = 0;
    let most = 0;
    const tasks = Array.from({ length: 20 }, (_, i) => task(String(i), i));
    const plan = await findEndedTasks(tasks, {
      concurrency,
      lookup: async () => {
        inFlight++;
        most = Math.max(most, inFlight);
        await tick();
        await tick();
        inFlight--;
        return NOT_FOUND;
      },
    });
    expect(most).toBe(concurrency);
    expect(plan.ended).toHaveLength(20);
  });

  it('backs off on a throttled answer, doubling the wait, and goes on when ZEGO recovers', async () => {
    const { waits, sleep } = fakeSleep();
    const answers = [THROTTLED, THROTTLED, THROTTLED, NOT_FOUND];
    const plan = await findEndedTasks([{ appid: '111111', task_id: 'x' }], {
      sleep,
      lookup: async () => answers.shift() ?? NOT_FOUND,
    });
    expect(waits).toEqual([1_000, 2_000, 4_000]);
    expect(ids(plan.ended)).toEqual(['x']);
    expect(plan.throttled).toBe(false);
  });

  it('stops starting lookups when ZEGO stays overloaded after 3 retries; the rest are skipped', async () => {
    const { waits, sleep } = fakeSleep();
    const asked: string[] = [];
    const tasks = [task('a', 1), task('b', 2), task('c', 3)];
    const plan = await findEndedTasks(tasks, {
      concurrency: 1,
      throttleBackoffMs: 50,
      sleep,
      lookup: async (_appid, taskId) => {
        asked.push(taskId);
        return THROTTLED;
      },
    });
    expect(asked).toEqual(Array(4).fill('111111:a'));
    expect(waits).toEqual([50, 100, 200]);
    expect(plan.unknown).toEqual([{ task: tasks[0], reason: 'throttled', detail: 'busy' }]);
    expect(ids(plan.skipped)).toEqual(['111111:b', '111111:c']);
    expect(plan.ended).toEqual([]);
    expect(plan.throttled).toBe(true);
  });

  it('looks up at most maxLookups tasks, the oldest first, and skips the rest', async () => {
    const asked: string[] = [];
    const tasks = [task('new', 30), task('none'), task('old', 10), task('mid', 20)];
    const plan = await findEndedTasks(tasks, {
      maxLookups: 2,
      lookup: async (_appid, taskId) => {
        asked.push(taskId);
        return NOT_FOUND;
      },
    });
    expect(ids(plan.ended).sort()).toEqual(['111111:mid', '111111:old']);
    expect(ids(plan.skipped)).toEqual(['111111:new', '111111:none']);
    expect(asked.every((id) => /old|mid/.test(id))).toBe(true);
  });

  it('never puts a task in ended when its lookup fails or throws', async () => {
    const tasks = [task('a', 1), task('b', 2), task('c', 3)];
    const plan = await findEndedTasks(tasks, {
      lookup: async (_appid, taskId) => {
        if (taskId.endsWith('a')) throw new Error('boom');
        if (taskId.endsWith('b')) return TIMEOUT;
        return NOT_FOUND;
      },
    });
    expect(ids(plan.ended)).toEqual(['111111:c']);
    expect(plan.unknown.map(({ task, reason }) => [task.task_id, reason])).toEqual([
      ['111111:a', 'internal'],
      ['111111:b', 'timeout'],
    ]);
  });

  it('does nothing with no tasks, and refuses a concurrency below 1', async () => {
    const plan = await findEndedTasks([], { lookup: async () => NOT_FOUND });
    expect(plan).toEqual({
      ended: [],
      running: [],
      unknown: [],
      skipped: [],
      unaskable: [],
      throttled: false,
    });
    await expect(
      findEndedTasks([task('a')], { concurrency: 0, lookup: async () => NOT_FOUND }),
    ).rejects.toThrow(new RangeError('concurrency must be 1 or more'));
  });

  it('refuses a negative or fractional maxLookups; 0 skips every task', async () => {
    const lookup = async () => NOT_FOUND;
    for (const maxLookups of [-1, 1.5]) {
      await expect(findEndedTasks([task('a')], { maxLookups, lookup })).rejects.toThrow(
        new RangeError('maxLookups must be 0 or more'),
      );
    }
    const plan = await findEndedTasks([task('a'), task('b')], { maxLookups: 0, lookup });
    expect(ids(plan.skipped)).toEqual(['111111:a', '111111:b']);
    expect(plan.ended).toEqual([]);
  });

  it('looks up tasks with no start time after those with one, whatever order they come in', async () => {
    const asked: string[] = [];
    await findEndedTasks([task('none'), task('other-none'), task('started', 5)], {
      concurrency: 1,
      lookup: async (_appid, taskId) => {
        asked.push(taskId);
        return RUNNING;
      },
    });
    expect(asked.filter((id) => id.startsWith('111111:'))).toEqual([
      '111111:started',
      '111111:none',
      '111111:other-none',
    ]);
  });

  it('sets apart a task whose id cannot be asked about, with no call, whatever else happens', async () => {
    const asked: string[] = [];
    const long = { appid: '111111', task_id: `111111:${'x'.repeat(2_000)}`, runningSince: 1 };
    const plan = await findEndedTasks([long, task('a', 2)], {
      lookup: async (_appid, taskId) => {
        asked.push(taskId);
        return NOT_FOUND;
      },
    });
    expect(asked).toEqual(['111111:a', 'a']);
    expect(plan.unaskable).toEqual([
      { task: long, detail: 'the task id is 2007 bytes long; ids over 1024 bytes are not asked about' },
    ]);
    expect(plan.unaskable[0]?.task).toBe(long);
    expect(ids(plan.ended)).toEqual(['111111:a']);
    expect([...plan.running, ...plan.unknown, ...plan.skipped]).toEqual([]);
  });

  it('does not let unaskable tasks, however old, take the lookups of the run', async () => {
    const asked: string[] = [];
    const stuck = [1, 2, 3].map((n) => ({ appid: '111111', task_id: '', runningSince: n }));
    const plan = await findEndedTasks([...stuck, task('young', 100)], {
      maxLookups: 1,
      lookup: async (_appid, taskId) => {
        asked.push(taskId);
        return RUNNING;
      },
    });
    expect(asked).toEqual(['111111:young']);
    expect(ids(plan.running)).toEqual(['111111:young']);
    expect(plan.unaskable.map(({ task }) => task)).toEqual(stuck);
    expect(plan.skipped).toEqual([]);
  });

  it('starts no lookup once its signal is aborted, and leaves the rest skipped for the next run', async () => {
    const controller = new AbortController();
    const asked: string[] = [];
    const tasks = [1, 2, 3, 4].map((n) => task(String(n), n));
    const plan = await findEndedTasks(tasks, {
      concurrency: 1,
      signal: controller.signal,
      lookup: async (_appid, taskId) => {
        asked.push(taskId);
        if (taskId === '111111:2') controller.abort(); // the caller's time runs out during this one
        return RUNNING;
      },
    });
    // The task in flight finishes; no other starts after it.
    expect(asked).toEqual(['111111:1', '111111:2']);
    expect(ids(plan.running)).toEqual(['111111:1', '111111:2']);
    expect(ids(plan.skipped)).toEqual(['111111:3', '111111:4']);
  });
});
