import { describe, expect, it } from 'vitest';
import { PoisonMessageError } from '../../../lib/errors';
import {
  encodeMessageBody,
  isMixStart,
  isMixStop,
  isReconciliation,
  parseQueuedCallback,
  parseQueuedMessage,
  QUEUE_MAX_MESSAGE_BYTES,
  toQueuedReconciliation,
} from '../../../lib/queue/message';
import { signedCallback, signedMixStart } from '../../support/callbacks';
import { queuedBody } from '../../support/messages';

describe('parseQueuedCallback', () => {
  it('reads back what ingest wrote, unknown fields included', () => {
    const message = parseQueuedCallback(queuedBody(signedCallback({ extra: 'kept' })));
    expect(isMixStop(message)).toBe(true);
    expect(message.callback).toMatchObject({
      appid: '111111',
      seq: '1234',
      task_id: '111111:1111',
      extra: 'kept',
    });
    expect(message.receivedAt).toBe('2023-07-20T06:40:23.000Z');
  });

  it('reads a mix_start with its play URLs', () => {
    const message = parseQueuedCallback(queuedBody(signedMixStart()));
    expect(isMixStart(message)).toBe(true);
    expect(message.callback).toMatchObject({ rtmp_urls: ['rtmp://play.example.invalid/live/aaa'] });
  });

  it('reads an event type it does not know', () => {
    const fields = signedCallback({ event: 'mix_new_thing' });
    delete fields.task_id;
    expect(parseQueuedCallback(queuedBody(fields)).callback.event).toBe('mix_new_thing');
  });

  it.each([
    ['not JSON', 'nope', /not JSON/],
    [
      'another version',
      JSON.stringify({ version: 2, receivedAt: '2023-07-20T06:40:23.000Z', callback: {} }),
      /version/,
    ],
    ['no receive time', JSON.stringify({ version: 1, callback: { event: 'mix_stop' } }), /receivedAt/],
    [
      'a mix_stop without task_id',
      JSON.stringify({
        version: 1,
        receivedAt: '2023-07-20T06:40:23.000Z',
        callback: { ...signedCallback(), task_id: undefined },
      }),
      /callback is invalid: task_id/,
    ],
    [
      'a mix_start without task_id',
      JSON.stringify({
        version: 1,
        receivedAt: '2023-07-20T06:40:23.000Z',
        callback: { ...signedMixStart(), task_id: undefined },
      }),
      /callback is invalid: task_id/,
    ],
  ])('refuses %s as a poison message, saying why', (_case, body, why) => {
    expect(() => parseQueuedCallback(body)).toThrow(PoisonMessageError);
    expect(() => parseQueuedCallback(body)).toThrow(why);
  });

  it('says every problem, where it is, for the dead-letter queue’s reader', () => {
    expect(() => parseQueuedCallback('[]')).toThrow(
      /^the queued message is invalid: \(root\): Invalid input: expected object, received array$/,
    );
    expect(() => parseQueuedCallback(JSON.stringify({ version: 2, receivedAt: 'x', callback: {} }))).toThrow(
      /^the queued message is invalid: version: .+; receivedAt: .+; callback\.event: .+$/,
    );
  });

  it('keeps what went wrong as the cause', () => {
    for (const body of ['nope', '[]']) {
      try {
        parseQueuedCallback(body);
      } catch (error) {
        expect((error as Error).cause).toBeInstanceOf(Error);
      }
    }
    expect.assertions(2);
  });
});

describe('encodeMessageBody', () => {
  it('takes a message of exactly the queue maximum, and refuses one byte more', () => {
    const message = parseQueuedCallback(queuedBody(signedCallback({ pad: '' })));
    const room = QUEUE_MAX_MESSAGE_BYTES - encodeMessageBody(message).length;
    const sized = (extra: number) => ({
      ...message,
      callback: { ...message.callback, pad: 'x'.repeat(room + extra) },
    });
    expect(encodeMessageBody(sized(0))).toHaveLength(QUEUE_MAX_MESSAGE_BYTES);
    expect(() => encodeMessageBody(sized(1))).toThrow(
      `the callback would make a queue message of ${QUEUE_MAX_MESSAGE_BYTES + 1} bytes; at most ${QUEUE_MAX_MESSAGE_BYTES} fit`,
    );
  });
});

describe('parseQueuedMessage', () => {
  const reconciliation = {
    appid: '111111',
    task_id: '111111:1111',
    seq: '123',
    checkedAt: '2023-07-20T07:00:00.000Z',
  };

  it('reads a callback message exactly as parseQueuedCallback does', () => {
    const body = queuedBody(signedCallback({ extra: 'kept' }));
    const message = parseQueuedMessage(body);
    expect(isReconciliation(message)).toBe(false);
    expect(message).toEqual(parseQueuedCallback(body));
  });

  it('reads back the reconciliation message the check writes, byte for byte what it encoded', () => {
    const body = encodeMessageBody(
      toQueuedReconciliation(reconciliation, Date.parse('2023-07-20T07:00:01Z')),
    );
    expect(JSON.parse(body)).toEqual({
      version: 1,
      receivedAt: '2023-07-20T07:00:01.000Z',
      reconciliation,
    });
    const message = parseQueuedMessage(body);
    expect(isReconciliation(message) && message.reconciliation).toEqual(reconciliation);
  });

  it('keeps every character of a task id outside ASCII', () => {
    const taskId = 'room 1 任务 😀';
    const body = encodeMessageBody(toQueuedReconciliation({ ...reconciliation, task_id: taskId }, 0));
    expect(body).toMatch(/^[\x20-\x7e]+$/);
    const message = parseQueuedMessage(body);
    expect(isReconciliation(message) && message.reconciliation.task_id).toBe(taskId);
  });

  const envelope = (fields: Record<string, unknown>) =>
    JSON.stringify({ version: 1, receivedAt: '2023-07-20T07:00:01.000Z', reconciliation, ...fields });

  it.each([
    ['another version', envelope({ version: 2 }), /version/],
    ['a seq that is not digits', envelope({ reconciliation: { ...reconciliation, seq: '12a' } }), /seq/],
    ['no check time', envelope({ reconciliation: { ...reconciliation, checkedAt: undefined } }), /checkedAt/],
    ['an empty task id', envelope({ reconciliation: { ...reconciliation, task_id: '' } }), /task_id/],
    ['both a callback and a reconciliation', envelope({ callback: signedCallback() }), /callback/],
    ['a reconciliation that is not an object', envelope({ reconciliation: 'stop it' }), /reconciliation/],
    ['a seq with a letter first', envelope({ reconciliation: { ...reconciliation, seq: 'x1' } }), /seq/],
    [
      'a seq with a letter, saying where',
      envelope({ reconciliation: { ...reconciliation, seq: '1x' } }),
      /^the queued reconciliation is invalid: reconciliation\.seq: must be 1 to 20 digits$/,
    ],
  ])('refuses a reconciliation with %s as a poison message, saying why', (_case, body, why) => {
    expect(() => parseQueuedMessage(body)).toThrow(PoisonMessageError);
    expect(() => parseQueuedMessage(body)).toThrow(why);
  });

  it('is not a callback for parseQueuedCallback', () => {
    expect(() => parseQueuedCallback(envelope({}))).toThrow(PoisonMessageError);
  });
});
