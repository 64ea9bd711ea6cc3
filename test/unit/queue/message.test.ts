import { describe, expect, it } from 'vitest';
import { PoisonMessageError } from '../../../lib/errors';
import { isMixStart, isMixStop, parseQueuedCallback } from '../../../lib/queue/message';
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
  ])('refuses %s as a poison message, saying why', (_case, body, why) => {
    expect(() => parseQueuedCallback(body)).toThrow(PoisonMessageError);
    expect(() => parseQueuedCallback(body)).toThrow(why);
  });
});
