import { describe, expect, it } from 'vitest';
import { loadConsumerConfig, loadIngestConfig, loadOrphansConfig } from '../../lib/config';
import { secretsFor } from '../../lib/zego/secrets';

const base = { STAGE: 'test', TASKS_TABLE: 'tasks' };
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
      everySeconds: 1_800,
      lookupsPerSecond: 40,
      enqueueTimeoutMs: 3_000,
    });
  });

  it('reads an inline secret book now, a plain secret serving any appid (local use and tests)', () => {
    const config = loadOrphansConfig({
      ...base,
      ZEGO_SERVER_SECRET: 'fixture-server-secret',
      QUEUE_URL,
      RECONCILE_AFTER_MINUTES: '2',
      RECONCILE_EVERY_MINUTES: '0.5',
      RECONCILE_LOOKUPS_PER_SECOND: '100',
      ZEGO_SERVER_API_ENDPOINT: 'http://127.0.0.1:4010',
      ZEGO_SERVER_API_TIMEOUT_MS: '200',
    });
    const secret = config.reconcile?.secret;
    expect(secret && 'inline' in secret && secretsFor(secret.inline, '111111')).toEqual([
      'fixture-server-secret',
    ]);
    expect(config.reconcile).toMatchObject({
      afterSeconds: 120,
      everySeconds: 30,
      lookupsPerSecond: 100,
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
      'an endpoint with another protocol',
      { ZEGO_SERVER_SECRET_PARAM: '/p', QUEUE_URL, ZEGO_SERVER_API_ENDPOINT: 'ftp://rtc-api.zego.im' },
      /ZEGO_SERVER_API_ENDPOINT/,
    ],
    [
      'an endpoint whose protocol only ends in https',
      { ZEGO_SERVER_SECRET_PARAM: '/p', QUEUE_URL, ZEGO_SERVER_API_ENDPOINT: 'git+https://rtc-api.zego.im' },
      /ZEGO_SERVER_API_ENDPOINT/,
    ],
    [
      'an endpoint whose protocol only starts with https',
      { ZEGO_SERVER_SECRET_PARAM: '/p', QUEUE_URL, ZEGO_SERVER_API_ENDPOINT: 'https-x://rtc-api.zego.im' },
      /ZEGO_SERVER_API_ENDPOINT/,
    ],
    [
      'a ZEGO timeout over 20 s',
      { ZEGO_SERVER_SECRET_PARAM: '/p', QUEUE_URL, ZEGO_SERVER_API_TIMEOUT_MS: '20001' },
      /ZEGO_SERVER_API_TIMEOUT_MS/,
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

const ingestBase = {
  STAGE: 'test',
  QUEUE_URL,
  REFUSED_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/refused.fifo',
  SIGNATURES_TABLE: 'signatures',
  ZEGO_CALLBACK_SECRET: 'fixture-secret',
};

describe('loadIngestConfig', () => {
  it('reads an inline secret for any appid, with 5-minute cache and skew and a 3 s enqueue timeout', () => {
    const config = loadIngestConfig(ingestBase);
    expect(config).toMatchObject({
      QUEUE_URL,
      SIGNATURES_TABLE: 'signatures',
      ZEGO_SECRET_CACHE_SECONDS: 300,
      ZEGO_MAX_CLOCK_SKEW_SECONDS: 300,
      ENQUEUE_TIMEOUT_MS: 3_000,
    });
    expect('inline' in config.secret && secretsFor(config.secret.inline, '111111')).toEqual([
      'fixture-secret',
    ]);
  });

  it('reads the secret parameter, the appids served and the numbers given, empty meaning unset', () => {
    const config = loadIngestConfig({
      ...ingestBase,
      ZEGO_CALLBACK_SECRET: '',
      ZEGO_CALLBACK_SECRET_PARAM: '/zego/callback-secret',
      ZEGO_APP_IDS: '111111, 0222222',
      ZEGO_SECRET_CACHE_SECONDS: '60',
      ZEGO_MAX_CLOCK_SKEW_SECONDS: '0',
      ENQUEUE_TIMEOUT_MS: '',
    });
    expect(config).toMatchObject({
      secret: { parameter: '/zego/callback-secret' },
      ZEGO_APP_IDS: ['111111', '222222'],
      ZEGO_SECRET_CACHE_SECONDS: 60,
      ZEGO_MAX_CLOCK_SKEW_SECONDS: 0,
      ENQUEUE_TIMEOUT_MS: 3_000,
    });
  });

  it('serves only the listed appids with an inline secret when appids are named', () => {
    const config = loadIngestConfig({ ...ingestBase, ZEGO_APP_IDS: '111111' });
    const secret = config.secret;
    expect('inline' in secret && secretsFor(secret.inline, '111111')).toEqual(['fixture-secret']);
    expect('inline' in secret && secretsFor(secret.inline, '222222')).toEqual([]);
  });

  it.each([
    [
      'no secret at all',
      { ZEGO_CALLBACK_SECRET: '' },
      /^Invalid configuration: ZEGO_CALLBACK_SECRET: set exactly one of ZEGO_CALLBACK_SECRET and ZEGO_CALLBACK_SECRET_PARAM$/,
    ],
    [
      'both a secret and its parameter',
      { ZEGO_CALLBACK_SECRET_PARAM: '/p' },
      /^Invalid configuration: ZEGO_CALLBACK_SECRET: set only one of ZEGO_CALLBACK_SECRET and ZEGO_CALLBACK_SECRET_PARAM$/,
    ],
    [
      'a secret book it cannot read',
      { ZEGO_CALLBACK_SECRET: '{"x":"fixture-never-shown"}' },
      /ZEGO_CALLBACK_SECRET: entry 1 of the per-appid secret book has a key/,
    ],
    [
      'an appid list with a name in it',
      { ZEGO_APP_IDS: '111111,fixture-never-shown' },
      /ZEGO_APP_IDS: appid number 2 in the list is not digits/,
    ],
    ['a queue URL that is no URL', { QUEUE_URL: 'callbacks.fifo' }, /QUEUE_URL/],
    ['a table name too short', { SIGNATURES_TABLE: 'ab' }, /SIGNATURES_TABLE/],
    ['a negative skew', { ZEGO_MAX_CLOCK_SKEW_SECONDS: '-1' }, /ZEGO_MAX_CLOCK_SKEW_SECONDS/],
    ['a fractional cache time', { ZEGO_SECRET_CACHE_SECONDS: '1.5' }, /ZEGO_SECRET_CACHE_SECONDS/],
    ['an enqueue timeout of 0', { ENQUEUE_TIMEOUT_MS: '0' }, /ENQUEUE_TIMEOUT_MS/],
  ])('refuses %s, naming the variable and never its value', (_case, env, why) => {
    const error = configError(() => loadIngestConfig({ ...ingestBase, ...env }));
    expect(error).toMatch(why);
    expect(error).not.toContain('fixture-never-shown');
  });

  it('names every bad variable at once', () => {
    const error = configError(() => loadIngestConfig({ ZEGO_CALLBACK_SECRET: 's' }));
    expect(error).toMatch(
      /^Invalid configuration: STAGE: .*; QUEUE_URL: .*; REFUSED_QUEUE_URL: .*; SIGNATURES_TABLE: /,
    );
  });
});

describe('loadConsumerConfig', () => {
  const consumerBase = {
    STAGE: 'test',
    TASKS_TABLE: 'tasks',
    IDEMPOTENCY_TABLE: 'idempotency',
    DEAD_LETTER_QUEUE_URL: QUEUE_URL,
  };

  it('remembers callbacks 7 days, keeps stopped tasks 90 days and expects 5 receives by default', () => {
    expect(loadConsumerConfig(consumerBase)).toEqual({
      ...consumerBase,
      IDEMPOTENCY_DAYS: 7,
      TASK_RETENTION_DAYS: 90,
      MAX_RECEIVE_COUNT: 5,
      RECONCILE_AFTER_MINUTES: 10,
    });
  });

  it('takes fractions of days, and a retention of 0 (keep forever)', () => {
    const config = loadConsumerConfig({ ...consumerBase, IDEMPOTENCY_DAYS: '0.5', TASK_RETENTION_DAYS: '0' });
    expect(config).toMatchObject({ IDEMPOTENCY_DAYS: 0.5, TASK_RETENTION_DAYS: 0 });
  });

  it('publishes no events unless EVENT_BUS_NAME names a bus, by name or ARN (empty is off)', () => {
    expect(loadConsumerConfig(consumerBase).EVENT_BUS_NAME).toBeUndefined();
    expect(loadConsumerConfig({ ...consumerBase, EVENT_BUS_NAME: '' }).EVENT_BUS_NAME).toBeUndefined();
    for (const bus of ['zego-mix-callbacks-prod', 'arn:aws:events:eu-west-1:123456789012:event-bus/shared']) {
      expect(loadConsumerConfig({ ...consumerBase, EVENT_BUS_NAME: bus }).EVENT_BUS_NAME).toBe(bus);
    }
    for (const bus of ['a bus', 'arn:aws:sqs:eu-west-1:123456789012:queue']) {
      expect(configError(() => loadConsumerConfig({ ...consumerBase, EVENT_BUS_NAME: bus }))).toMatch(
        /EVENT_BUS_NAME: must be an event bus name/,
      );
    }
    expect(
      loadOrphansConfig({ STAGE: 'test', TASKS_TABLE: 'tasks', EVENT_BUS_NAME: 'b' }).EVENT_BUS_NAME,
    ).toBe('b');
  });

  it.each([
    ['an idempotency of 0 days', { IDEMPOTENCY_DAYS: '0' }, /IDEMPOTENCY_DAYS: must be more than 0/],
    ['a negative retention', { TASK_RETENTION_DAYS: '-1' }, /TASK_RETENTION_DAYS/],
    ['no dead-letter queue', { DEAD_LETTER_QUEUE_URL: '' }, /DEAD_LETTER_QUEUE_URL/],
    ['no stage', { STAGE: '' }, /STAGE: must be a stage name/],
    ['a stage with a space', { STAGE: 'my stage' }, /STAGE: must be a stage name/],
  ])('refuses %s, naming the variable', (_case, env, why) => {
    expect(configError(() => loadConsumerConfig({ ...consumerBase, ...env }))).toMatch(why);
  });
});

function configError(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}
