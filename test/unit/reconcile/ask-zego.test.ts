import { describe, expect, it } from 'vitest';
import { askZego } from '../../../lib/reconcile/ask-zego';
import type { MixTaskInfoResult } from '../../../lib/zego-server-api/get-mix-task-info';

const RUNNING: MixTaskInfoResult = { state: 'running', mixDurationSeconds: 5 };
const NOT_FOUND: MixTaskInfoResult = { state: 'not_found' };
const unknown = (reason: 'timeout' | 'network' | 'retry' | 'throttled'): MixTaskInfoResult => ({
  state: 'unknown',
  reason,
  detail: reason,
});
const answer = (reason: 'timeout' | 'network' | 'retry') => ({ state: 'unknown', reason, detail: reason });

/** A lookup that answers from a table of task-id forms and records what it was asked. */
function scripted(answers: Record<string, MixTaskInfoResult | MixTaskInfoResult[]>) {
  const asked: string[] = [];
  const lookup = async (appid: string, taskId: string) => {
    asked.push(taskId);
    expect(appid).toBe('111111');
    const scriptedAnswer = answers[taskId];
    const next = Array.isArray(scriptedAnswer) ? scriptedAnswer.shift() : scriptedAnswer;
    if (!next) throw new Error(`unexpected form ${taskId}`);
    return next;
  };
  return { lookup, asked };
}

/** A fake sleep that records the waits and returns at once. */
function fakeSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

describe('askZego', () => {
  const prefixed = { appid: '111111', task_id: '111111:1111' };

  interface Case {
    name: string;
    answers: Record<string, MixTaskInfoResult>;
    result: unknown;
    asked: number;
  }
  it.each<Case>([
    {
      name: 'running as stored',
      answers: { '111111:1111': RUNNING },
      result: { state: 'running' },
      asked: 1,
    },
    {
      name: 'running only without the prefix',
      answers: { '111111:1111': NOT_FOUND, '1111': RUNNING },
      result: { state: 'running' },
      asked: 2,
    },
    {
      name: 'not found under both forms',
      answers: { '111111:1111': NOT_FOUND, '1111': NOT_FOUND },
      result: { state: 'ended' },
      asked: 2,
    },
    {
      name: 'unknown as stored, running without the prefix',
      answers: { '111111:1111': unknown('timeout'), '1111': RUNNING },
      result: { state: 'running' },
      asked: 2,
    },
    {
      name: 'unknown as stored, not found without the prefix',
      answers: { '111111:1111': unknown('timeout'), '1111': NOT_FOUND },
      result: answer('timeout'),
      asked: 2,
    },
    {
      name: 'not found as stored, unknown without the prefix',
      answers: { '111111:1111': NOT_FOUND, '1111': unknown('network') },
      result: answer('network'),
      asked: 2,
    },
    {
      name: 'unknown under both forms (the first reason wins)',
      answers: { '111111:1111': unknown('network'), '1111': unknown('retry') },
      result: answer('network'),
      asked: 2,
    },
  ])('answers $result.state when $name', async ({ answers, result, asked }) => {
    const lookup = scripted(answers);
    expect(await askZego(prefixed, { lookup: lookup.lookup })).toEqual(result);
    expect(lookup.asked).toEqual(['111111:1111', '1111'].slice(0, asked));
  });

  it('asks the percent-decoded forms last, and is running when ZEGO knows only one of them', async () => {
    const lookup = scripted({
      '111111:p%41': NOT_FOUND,
      'p%41': NOT_FOUND,
      '111111:pA': NOT_FOUND,
      pA: RUNNING,
    });
    expect(await askZego({ appid: '111111', task_id: '111111:p%41' }, lookup)).toEqual({ state: 'running' });
    expect(lookup.asked).toEqual(['111111:p%41', 'p%41', '111111:pA', 'pA']);
  });

  it('says ended only when all four forms are not found', async () => {
    const forms = ['111111:p%41', 'p%41', '111111:pA', 'pA'];
    const gone = scripted(Object.fromEntries(forms.map((form) => [form, NOT_FOUND])));
    expect(await askZego({ appid: '111111', task_id: '111111:p%41' }, gone)).toEqual({ state: 'ended' });
    expect(gone.asked).toEqual(forms);
    const lastUnknown = scripted({
      ...Object.fromEntries(forms.map((form) => [form, NOT_FOUND])),
      pA: unknown('retry'),
    });
    expect(await askZego({ appid: '111111', task_id: '111111:p%41' }, lastUnknown)).toEqual(answer('retry'));
  });

  it('asks once for a task id without the prefix', async () => {
    const lookup = scripted({ '1111': NOT_FOUND });
    expect(await askZego({ appid: '111111', task_id: '1111' }, lookup)).toEqual({ state: 'ended' });
    expect(lookup.asked).toEqual(['1111']);
  });

  it('is unknown/internal, never ended, when the lookup throws', async () => {
    const lookup = scripted({ '111111:1111': NOT_FOUND }); // throws for '1111'
    expect(await askZego(prefixed, lookup)).toMatchObject({ state: 'unknown', reason: 'internal' });
    const throwsAtOnce = (() => {
      throw new Error('sync');
    }) as unknown as (appid: string, taskId: string) => Promise<MixTaskInfoResult>;
    expect(await askZego(prefixed, { lookup: throwsAtOnce })).toEqual({
      state: 'unknown',
      reason: 'internal',
      detail: 'the lookup threw Error',
    });
  });

  it('backs off on a throttled answer, doubling the wait, and goes on when ZEGO recovers', async () => {
    const { waits, sleep } = fakeSleep();
    const lookup = scripted({
      '111111:1111': [unknown('throttled'), unknown('throttled'), unknown('throttled'), NOT_FOUND],
      '1111': NOT_FOUND,
    });
    expect(await askZego(prefixed, { ...lookup, sleep })).toEqual({ state: 'ended' });
    expect(waits).toEqual([1_000, 2_000, 4_000]);
  });

  it('answers throttled, asking no other form, when ZEGO stays overloaded after 3 retries', async () => {
    const { waits, sleep } = fakeSleep();
    const lookup = scripted({ '111111:1111': Array(4).fill(unknown('throttled')), '1111': RUNNING });
    expect(await askZego(prefixed, { ...lookup, sleep, throttleBackoffMs: 50 })).toEqual({
      state: 'throttled',
      reason: 'throttled',
      detail: 'throttled',
    });
    expect(waits).toEqual([50, 100, 200]);
    expect(lookup.asked).toEqual(Array(4).fill('111111:1111'));
  });

  it('asks nothing about an id no URL can carry, and says why', async () => {
    const lookup = scripted({});
    expect(await askZego({ appid: '111111', task_id: `111111:${'x'.repeat(2_000)}` }, lookup)).toEqual({
      state: 'unaskable',
      detail: 'the task id is 2007 bytes long; ids over 1024 bytes are not asked about',
    });
    expect(lookup.asked).toEqual([]);
  });
});
