import { describe, expect, it } from 'vitest';
import { parseCallback } from '../../../lib/zego/callback-schema';
import { decodeBody } from '../../../lib/zego/decode-body';
import { parseSecretBook } from '../../../lib/zego/secrets';
import { verifyCallback } from '../../../lib/zego/verify-callback';
import { buildCallback, encodeCallback, zegoNonce } from '../../../tools/zego-fake/callbacks';

const spec = {
  event: 'mix_start' as const,
  appid: '111111',
  taskId: 't-1',
  seq: '42',
  secret: 'cli-test-secret',
};

describe('the CLI as ZEGO', () => {
  it('makes 19-digit nonces', () => {
    for (let i = 0; i < 50; i++) expect(zegoNonce()).toMatch(/^[1-9]\d{18}$/);
  });

  it.each(['json', 'form', 'percent-json'] as const)(
    'sends %s that the endpoint decodes and verifies',
    (encoding) => {
      const fields = buildCallback(spec);
      const { body } = encodeCallback(fields, encoding);
      const parsed = parseCallback(decodeBody({ body }));
      expect(() =>
        verifyCallback(parsed, {
          secrets: parseSecretBook('cli-test-secret', { allowAnyApp: true }),
          maxClockSkewSeconds: 60,
          now: Date.now,
        }),
      ).not.toThrow();
      expect(parsed.callback).toMatchObject({
        event: 'mix_start',
        task_id: 't-1',
        seq: '42',
        rtmp_urls: [expect.stringMatching(/^rtmp:/)],
      });
    },
  );

  it.each(['json', 'form', 'percent-json'] as const)(
    'sends %s whose task id the endpoint keeps exactly, escapes included',
    (encoding) => {
      const fields = buildCallback({ ...spec, taskId: '111111:room%41' });
      const parsed = parseCallback(decodeBody({ body: encodeCallback(fields, encoding).body }));
      expect(parsed.callback.task_id).toBe('111111:room%41');
    },
  );

  it('signs with the secret it is given, and only that one', () => {
    const parsed = parseCallback(buildCallback({ ...spec, event: 'mix_stop' }));
    expect(() =>
      verifyCallback(parsed, {
        secrets: parseSecretBook('another', { allowAnyApp: true }),
        maxClockSkewSeconds: 0,
        now: Date.now,
      }),
    ).toThrow(/signature/);
  });
});
