import { describe, expect, it } from 'vitest';
import { loadOrphansConfig } from '../../lib/config';
import { secretsFor } from '../../lib/zego/secrets';

const base = { TASKS_TABLE: 'tasks' };
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/q.fifo';

describe('loadOrphansConfig', () => {
  it('turns reconciliation off when no ServerSecret is configured (the stack writes empty strings)', () => {
    const config = loadOrphansConfig({ ...base, ZEGO_SERVER_SECRET_PARAM: '', QUEUE_URL: '' });
    expect(config.reconcile).toBeUndefined();
    expect(config.ORPHAN_AFTER_MINUTES).toBe(240);
  });

  it('turns it on with a ServerSecret parameter, with ZEGO’s global host, 10 minutes of grace and 3 s timeouts', () => {
    const config = loadOrphansConfig({ ...base, ZEGO_SERVER_SECRET_PARAM: '/zego/server-secret', QUEUE_URL });
    expect(config.reconcile).toEqual({
      secret: { parameter: '/zego/server-secret' },
      queueUrl: QUEUE_URL,
      endpoint: 'https://rtc-api.zego.im',
      timeoutMs: 3_000,
      afterSeconds: 600,
      enqueueTimeoutMs: 3_000,
    });
  });

  it('reads an inline secret book now, a plain secret serving any appid (local use and tests)', () => {
    const config = loadOrphansConfig({
      ...base,
      ZEGO_SERVER_SECRET: 'fixture-server-secret',
      QUEUE_URL,
      RECONCILE_AFTER_MINUTES: '2',
      ZEGO_SERVER_API_ENDPOINT: 'http://127.0.0.1:4010',
      ZEGO_SERVER_API_TIMEOUT_MS: '200',
    });
    const secret = config.reconcile?.secret;
    expect(secret && 'inline' in secret && secretsFor(secret.inline, '111111')).toEqual([
      'fixture-server-secret',
    ]);
    expect(config.reconcile).toMatchObject({
      afterSeconds: 120,
      endpoint: 'http://127.0.0.1:4010',
      timeoutMs: 200,
    });
  });

  it.each([
    [
      'both a secret and its parameter',
      { ZEGO_SERVER_SECRET: 's', ZEGO_SERVER_SECRET_PARAM: '/p', QUEUE_URL },
      /ZEGO_SERVER_SECRET: set only one/,
    ],
    [
      'no queue to send to',
      { ZEGO_SERVER_SECRET_PARAM: '/p' },
      /QUEUE_URL: is required when reconciliation is on/,
    ],
    [
      'a parameter name without "/"',
      { ZEGO_SERVER_SECRET_PARAM: 'p', QUEUE_URL },
      /ZEGO_SERVER_SECRET_PARAM: must be a full parameter name/,
    ],
    [
      'an endpoint that is not a URL',
      { ZEGO_SERVER_SECRET_PARAM: '/p', QUEUE_URL, ZEGO_SERVER_API_ENDPOINT: 'rtc-api.zego.im' },
      /ZEGO_SERVER_API_ENDPOINT/,
    ],
    [
      'a grace of 0 minutes',
      { ZEGO_SERVER_SECRET_PARAM: '/p', QUEUE_URL, RECONCILE_AFTER_MINUTES: '0' },
      /RECONCILE_AFTER_MINUTES/,
    ],
  ])('refuses %s, naming the variable', (_case, env, why) => {
    expect(() => loadOrphansConfig({ ...base, ...env })).toThrow(why);
  });

  it('never echoes a secret it cannot read', () => {
    const secret = '{"not-an-appid": "fixture-server-secret"}';
    expect(() => loadOrphansConfig({ ...base, ZEGO_SERVER_SECRET: secret, QUEUE_URL })).toThrow(
      /ZEGO_SERVER_SECRET/,
    );
    try {
      loadOrphansConfig({ ...base, ZEGO_SERVER_SECRET: secret, QUEUE_URL });
    } catch (error) {
      expect(String(error)).not.toContain('fixture-server-secret');
    }
  });
});
