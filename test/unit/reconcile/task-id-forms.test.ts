import { describe, expect, it } from 'vitest';
import { MAX_TASK_ID_BYTES, taskIdForms, whyUnaskable } from '../../../lib/reconcile/task-id-forms';
import { percentDecoded } from '../../../lib/text/percent-decode';

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
