import { describe, expect, it } from 'vitest';
import type { MixTaskInfoResult } from '../../../lib/zego-server-api/get-mix-task-info';
import {
  lookUpTask,
  MAX_TASK_ID_BYTES,
  taskIdForms,
  whyUnaskable,
} from '../../../lib/zego-server-api/lookup-task';
import { percentDecoded } from '../../../lib/zego-server-api/percent-decode';

const RUNNING: MixTaskInfoResult = { state: 'running', mixDurationSeconds: 5 };
const NOT_FOUND: MixTaskInfoResult = { state: 'not_found' };
const unknown = (reason: 'timeout' | 'network' | 'retry' | 'throttled'): MixTaskInfoResult => ({
  state: 'unknown',
  reason,
  detail: reason,
});

/** A lookup that answers from a table of task-id forms and records what it was asked. */
function scripted(answers: Record<string, MixTaskInfoResult>) {
  const asked: string[] = [];
  const lookup = async (taskId: string) => {
    asked.push(taskId);
    const answer = answers[taskId];
    if (!answer) throw new Error(`unexpected form ${taskId}`);
    return answer;
  };
  return { lookup, asked };
}

describe('taskIdForms', () => {
  it.each([
    { appid: '111111', taskId: '111111:1111', forms: ['111111:1111', '1111'] },
    { appid: '111111', taskId: '1111', forms: ['1111'] },
    { appid: '111111', taskId: '222222:1111', forms: ['222222:1111'] },
    { appid: '111111', taskId: '1111111:1111', forms: ['1111111:1111'] },
    { appid: '111111', taskId: '111111:', forms: ['111111:'] },
    { appid: '111111', taskId: '111111:111111:1', forms: ['111111:111111:1', '111111:1'] },
    { appid: '', taskId: ':1111', forms: [':1111'] },
    { appid: '111111', taskId: '', forms: [''] },
    // Percent-decoded once, after the forms as sent.
    { appid: '111111', taskId: '111111:p%41', forms: ['111111:p%41', 'p%41', '111111:pA', 'pA'] },
    { appid: '111111', taskId: 'p%41', forms: ['p%41', 'pA'] },
    { appid: '111111', taskId: '111111%3Aroom%201', forms: ['111111%3Aroom%201', '111111:room 1', 'room 1'] },
    { appid: '111111', taskId: '111111%3A', forms: ['111111%3A', '111111:'] },
    { appid: '111111', taskId: '111111:%2541', forms: ['111111:%2541', '%2541', '111111:%41', '%41'] },
    { appid: '111111', taskId: '111111:100%', forms: ['111111:100%', '100%'] },
    {
      appid: '111111',
      taskId: '111111:100%+%41',
      forms: ['111111:100%+%41', '100%+%41', '111111:100%+A', '100%+A'],
    },
  ])('gives $forms for task $taskId of app "$appid"', ({ appid, taskId, forms }) => {
    expect(taskIdForms(appid, taskId)).toEqual(forms);
  });
});

describe('percentDecoded', () => {
  it.each([
    ['p%41', 'pA'],
    ['%2f%2F', '//'],
    ['caf%C3%A9', 'café'],
    ['%F0%9F%8E%A5 live', '🎥 live'],
    ['%2541', '%41'],
    ['100%', '100%'],
    ['100%+%41', '100%+A'],
    ['%4', '%4'],
    ['%zz%41', '%zzA'],
    ['a+b', 'a+b'],
    ['%E9', '%E9'],
    ['%E9 then %41', '%E9 then A'],
    ['%ED%A0%80', '%ED%A0%80'],
    ['no escapes', 'no escapes'],
  ])('reads %s as %s', (text, decoded) => {
    expect(percentDecoded(text)).toBe(decoded);
  });
});

describe('whyUnaskable', () => {
  it('asks about an id of up to 1,024 UTF-8 bytes', () => {
    expect(MAX_TASK_ID_BYTES).toBe(1024);
    expect(whyUnaskable('111111:1111')).toBeUndefined();
    expect(whyUnaskable('a'.repeat(1024))).toBeUndefined();
    expect(whyUnaskable('é'.repeat(512))).toBeUndefined();
  });

  it.each([
    [
      'an id of 1,025 bytes',
      'a'.repeat(1025),
      'the task id is 1025 bytes long; ids over 1024 bytes are not asked about',
    ],
    [
      'an id of 600 characters but 1,200 bytes',
      'é'.repeat(600),
      'the task id is 1200 bytes long; ids over 1024 bytes are not asked about',
    ],
    [
      'the longest id a callback may carry',
      'x'.repeat(4096),
      'the task id is 4096 bytes long; ids over 1024 bytes are not asked about',
    ],
    ['an empty id', '', 'the task id is empty'],
    ['a lone surrogate', '111111:a\ud800b', 'the task id is not Unicode text (a lone surrogate)'],
  ])('never asks about %s', (_case, taskId, why) => {
    expect(whyUnaskable(taskId)).toBe(why);
  });
});

describe('lookUpTask', () => {
  const prefixed = { appid: '111111', task_id: '111111:1111' };

  interface Case {
    name: string;
    answers: Record<string, MixTaskInfoResult>;
    result: MixTaskInfoResult;
    asked: number;
  }
  it.each<Case>([
    { name: 'running as stored', answers: { '111111:1111': RUNNING }, result: RUNNING, asked: 1 },
    {
      name: 'running only without the prefix',
      answers: { '111111:1111': NOT_FOUND, '1111': RUNNING },
      result: RUNNING,
      asked: 2,
    },
    {
      name: 'not found under both forms',
      answers: { '111111:1111': NOT_FOUND, '1111': NOT_FOUND },
      result: NOT_FOUND,
      asked: 2,
    },
    {
      name: 'unknown as stored, running without the prefix',
      answers: { '111111:1111': unknown('timeout'), '1111': RUNNING },
      result: RUNNING,
      asked: 2,
    },
    {
      name: 'unknown as stored, not found without the prefix',
      answers: { '111111:1111': unknown('timeout'), '1111': NOT_FOUND },
      result: unknown('timeout'),
      asked: 2,
    },
    {
      name: 'not found as stored, unknown without the prefix',
      answers: { '111111:1111': NOT_FOUND, '1111': unknown('network') },
      result: unknown('network'),
      asked: 2,
    },
    {
      name: 'unknown under both forms (the first reason wins)',
      answers: { '111111:1111': unknown('network'), '1111': unknown('retry') },
      result: unknown('network'),
      asked: 2,
    },
    {
      name: 'throttled as stored (the other form is not asked)',
      answers: { '111111:1111': unknown('throttled'), '1111': RUNNING },
      result: unknown('throttled'),
      asked: 1,
    },
  ])('answers $result.state when $name', async ({ answers, result, asked }) => {
    const lookup = scripted(answers);
    expect(await lookUpTask(prefixed, lookup.lookup)).toEqual(result);
    expect(lookup.asked).toEqual(['111111:1111', '1111'].slice(0, asked));
  });

  it('asks the percent-decoded forms last, and is running when ZEGO knows only one of them', async () => {
    const lookup = scripted({
      '111111:p%41': NOT_FOUND,
      'p%41': NOT_FOUND,
      '111111:pA': NOT_FOUND,
      pA: RUNNING,
    });
    expect(await lookUpTask({ appid: '111111', task_id: '111111:p%41' }, lookup.lookup)).toEqual(RUNNING);
    expect(lookup.asked).toEqual(['111111:p%41', 'p%41', '111111:pA', 'pA']);
  });

  it('is not_found only when all four forms are not found', async () => {
    const forms = ['111111:p%41', 'p%41', '111111:pA', 'pA'];
    const gone = scripted(Object.fromEntries(forms.map((form) => [form, NOT_FOUND])));
    expect(await lookUpTask({ appid: '111111', task_id: '111111:p%41' }, gone.lookup)).toEqual(NOT_FOUND);
    expect(gone.asked).toEqual(forms);
    const lastUnknown = scripted({
      ...Object.fromEntries(forms.map((form) => [form, NOT_FOUND])),
      pA: unknown('retry'),
    });
    expect(await lookUpTask({ appid: '111111', task_id: '111111:p%41' }, lastUnknown.lookup)).toEqual(
      unknown('retry'),
    );
  });

  it('asks once for a task id without the prefix', async () => {
    const lookup = scripted({ '1111': NOT_FOUND });
    expect(await lookUpTask({ appid: '111111', task_id: '1111' }, lookup.lookup)).toEqual(NOT_FOUND);
    expect(lookup.asked).toEqual(['1111']);
  });

  it('is unknown/internal, never not_found, when the lookup throws', async () => {
    const lookup = scripted({ '111111:1111': NOT_FOUND }); // throws for '1111'
    expect(await lookUpTask(prefixed, lookup.lookup)).toMatchObject({ state: 'unknown', reason: 'internal' });
    const throwsAtOnce = (() => {
      throw new Error('sync');
    }) as unknown as (taskId: string) => Promise<MixTaskInfoResult>;
    expect(await lookUpTask(prefixed, throwsAtOnce)).toEqual({
      state: 'unknown',
      reason: 'internal',
      detail: 'the lookup threw Error',
    });
  });
});
