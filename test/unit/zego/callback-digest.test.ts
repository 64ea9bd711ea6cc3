import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { callbackDigest } from '../../../lib/zego/callback-identity';
import type { ZegoCallback } from '../../../lib/zego/callback-schema';

const callback = (fields: Record<string, unknown>) =>
  ({
    appid: '1',
    event: 'mix_stop',
    seq: '2',
    timestamp: '3',
    nonce: '4',
    signature: 'a'.repeat(40),
    ...fields,
  }) as ZegoCallback;
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('callbackDigest', () => {
  it('hashes every field but the signature, keys sorted at every depth', () => {
    const digest = callbackDigest(callback({ urls: [{ b: 1, a: '\u0000😀' }], task_id: 't' }));
    expect(digest).toBe(
      sha256(
        '{"appid":"1","event":"mix_stop","nonce":"4","seq":"2","task_id":"t","timestamp":"3","urls":[{"a":"\\u0000😀","b":1}]}',
      ),
    );
  });

  it('is the same for the same fields in any order and under any signature', () => {
    const a = callback({ mix_url: 'rtmp://x', task_id: 't' });
    const b = {
      ...Object.fromEntries(Object.entries(a).reverse()),
      signature: 'b'.repeat(40),
    } as ZegoCallback;
    expect(callbackDigest(b)).toBe(callbackDigest(a));
  });

  it('differs when any field differs, however deep, including a lone surrogate and null', () => {
    const base = callbackDigest(callback({ extra: { list: ['x'] } }));
    for (const extra of [
      { list: ['y'] },
      { list: ['x', 'x'] },
      { list: ['\ud800'] },
      { list: [null] },
      { list: 'x' },
    ]) {
      expect(callbackDigest(callback({ extra }))).not.toBe(base);
    }
    expect(callbackDigest(callback({ mix_url: 'a' }))).not.toBe(callbackDigest(callback({ mix_url: 'b' })));
  });
});
