import { describe, expect, it } from 'vitest';
import { readableLine } from '../../../tools/local-stack/readable-logs';

const log = (fields: Record<string, unknown>) =>
  JSON.stringify({
    level: 'INFO',
    message: 'callback accepted',
    timestamp: '2026-11-28T02:49:40.000Z',
    function: 'ingest',
    ...fields,
  });

describe('readableLine', () => {
  it('prints one line with the callback ids and the latency', () => {
    expect(
      readableLine(log({ appid: '111111', event: 'mix_start', seq: '10', task_id: 'demo-1', latencyMs: 9 })),
    ).toBe('02:49:40 ingest   callback accepted    appid=111111 event=mix_start seq=10 task_id=demo-1 9ms');
  });

  it('escapes control characters and bidi overrides a caller put in a value', () => {
    const line = readableLine(log({ task_id: 'a\u001b[2J\u0007b\u202ec\nd', detail: 'x\u0000y' })) ?? '';
    expect(line).toContain('task_id=a\\u001b[2J\\u0007b\\u202ec\\u000ad');
    expect(line).toContain('(x\\u0000y)');
    expect([...line].some((char) => char < ' ' || char === '\u202e')).toBe(false);
  });

  it('cuts a huge value short', () => {
    expect((readableLine(log({ task_id: 'x'.repeat(10_000) })) ?? '').length).toBeLessThan(200);
  });

  it('shows a message up to 100 characters whole: a failure that sends a callback to the DLQ', () => {
    const message =
      'callback still in progress elsewhere on its last delivery; SQS moves it to the dead-letter queue';
    expect(readableLine(log({ level: 'ERROR', function: 'consumer', message, receiveCount: 5 }))).toBe(
      `02:49:40 consumer ${message} receiveCount=5`,
    );
  });

  it('leaves metric lines out and passes other text through', () => {
    expect(readableLine('{"_aws":{"Timestamp":1},"CallbackReceived":1}')).toBeUndefined();
    expect(readableLine('plain text')).toBe('plain text');
  });
});
