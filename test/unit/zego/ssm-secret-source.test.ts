import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SecretsUnavailableError } from '../../../lib/errors';
import { secretsFor } from '../../../lib/zego/secrets';
import { ssmSecretSource } from '../../../lib/zego/ssm-secret-source';

const ssm = mockClient(SSMClient);
const NAME = '/zego-mix-callbacks/test/callback-secret';
const provider = () => new SSMProvider({ awsSdkV3Client: new SSMClient({ region: 'us-east-1' }) });
const answer = (value: string) => ({
  Parameter: { Name: NAME, Value: value, Type: 'SecureString' as const },
});

beforeEach(() => {
  ssm.reset();
  vi.useFakeTimers({ now: new Date('2026-11-28T00:00:00Z'), toFake: ['Date'] });
});
afterEach(() => vi.useRealTimers());

describe('ssmSecretSource', () => {
  it('reads the SecureString with decryption and parses it', async () => {
    ssm.on(GetParameterCommand).resolves(answer('{"111111":["fake-new","fake-old"]}'));
    const book = await ssmSecretSource({ name: NAME, maxAgeSeconds: 300, provider: provider() })();
    expect(secretsFor(book, '111111')).toEqual(['fake-new', 'fake-old']);
    expect(ssm.commandCalls(GetParameterCommand)[0]?.args[0].input).toMatchObject({
      Name: NAME,
      WithDecryption: true,
    });
  });

  it('serves from its cache within maxAge and reads a rotation after it', async () => {
    ssm.on(GetParameterCommand).resolves(answer('fake-old'));
    const secrets = ssmSecretSource({ name: NAME, maxAgeSeconds: 300, appIds: ['1'], provider: provider() });
    expect(secretsFor(await secrets(), '1')).toEqual(['fake-old']);
    ssm.on(GetParameterCommand).resolves(answer('fake-new,fake-old'));
    vi.setSystemTime(new Date('2026-11-28T00:04:00Z'));
    expect(secretsFor(await secrets(), '1')).toEqual(['fake-old']);
    vi.setSystemTime(new Date('2026-11-28T00:05:01Z'));
    expect(secretsFor(await secrets(), '1')).toEqual(['fake-new', 'fake-old']);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(2);
  });

  it.each([
    [
      'a missing parameter',
      () =>
        ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} })),
    ],
    [
      'a value that is not a secret book',
      () => ssm.on(GetParameterCommand).resolves(answer('{"not-an-appid":"x"}')),
    ],
    ['a plain secret without the appids it serves', () => ssm.on(GetParameterCommand).resolves(answer('x'))],
  ])(
    'answers %s with SecretsUnavailableError (503: ZEGO retries), naming the parameter, not the value',
    async (_case, arrange) => {
      arrange();
      const attempt = ssmSecretSource({ name: NAME, maxAgeSeconds: 300, provider: provider() })();
      await expect(attempt).rejects.toThrow(SecretsUnavailableError);
      await expect(attempt).rejects.toThrow(NAME);
      await expect(attempt).rejects.not.toThrow(/"x"/);
    },
  );

  it('names what the parameter holds: the callback secret by default, or what the caller says', async () => {
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
    await expect(ssmSecretSource({ name: NAME, maxAgeSeconds: 300, provider: provider() })()).rejects.toThrow(
      /the callback secret parameter/,
    );
    const server = ssmSecretSource({
      name: NAME,
      maxAgeSeconds: 300,
      provider: provider(),
      label: 'server secret',
    });
    await expect(server()).rejects.toThrow(/the server secret parameter/);
  });

  it('keeps serving the last good book when a refresh fails, and asks SSM again only after a pause', async () => {
    ssm.on(GetParameterCommand).resolves(answer('{"111111":"fake-old"}'));
    const stale: unknown[] = [];
    const secrets = ssmSecretSource({
      name: NAME,
      maxAgeSeconds: 300,
      provider: provider(),
      onStale: (error) => stale.push(error),
    });
    expect(secretsFor(await secrets(), '111111')).toEqual(['fake-old']);
    ssm
      .on(GetParameterCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    vi.setSystemTime(new Date('2026-11-28T00:05:01Z'));
    for (let i = 0; i < 20; i++) expect(secretsFor(await secrets(), '111111')).toEqual(['fake-old']);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(2);
    expect(stale).toHaveLength(1);
    vi.setSystemTime(new Date('2026-11-28T00:05:12Z'));
    await secrets();
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(3);
  });

  it('answers 503 once the last good book is older than staleIfErrorSeconds', async () => {
    ssm.on(GetParameterCommand).resolves(answer('{"111111":"fake-old"}'));
    const secrets = ssmSecretSource({
      name: NAME,
      maxAgeSeconds: 300,
      staleIfErrorSeconds: 600,
      provider: provider(),
    });
    await secrets();
    ssm.on(GetParameterCommand).rejects(new Error('down'));
    vi.setSystemTime(new Date('2026-11-28T00:09:00Z'));
    expect(secretsFor(await secrets(), '111111')).toEqual(['fake-old']);
    vi.setSystemTime(new Date('2026-11-28T00:10:01Z'));
    await expect(secrets()).rejects.toThrow(SecretsUnavailableError);
  });

  it('asks SSM again exactly retryAfterFailureSeconds after a failure', async () => {
    ssm.on(GetParameterCommand).resolves(answer('{"111111":"fake-old"}'));
    const secrets = ssmSecretSource({ name: NAME, maxAgeSeconds: 0, provider: provider() });
    await secrets();
    ssm.on(GetParameterCommand).rejects(new Error('down'));
    vi.setSystemTime(new Date('2026-11-28T00:00:01Z'));
    await secrets(); // fails: the last good book serves; SSM rests 10 s
    vi.setSystemTime(new Date('2026-11-28T00:00:10.999Z'));
    await secrets();
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(2);
    vi.setSystemTime(new Date('2026-11-28T00:00:11Z'));
    await secrets();
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(3);
  });

  it('stops serving the last good book exactly staleIfErrorSeconds after it was read', async () => {
    ssm.on(GetParameterCommand).resolves(answer('{"111111":"fake-old"}'));
    const secrets = ssmSecretSource({
      name: NAME,
      maxAgeSeconds: 0,
      staleIfErrorSeconds: 600,
      retryAfterFailureSeconds: 0,
      provider: provider(),
    });
    await secrets();
    ssm.on(GetParameterCommand).rejects(new Error('down'));
    vi.setSystemTime(new Date('2026-11-28T00:09:59.999Z'));
    expect(secretsFor(await secrets(), '111111')).toEqual(['fake-old']);
    vi.setSystemTime(new Date('2026-11-28T00:10:00Z'));
    const failure = secrets();
    await expect(failure).rejects.toThrow(SecretsUnavailableError);
    await expect(failure).rejects.toMatchObject({ cause: { message: 'down' } });
  });

  it('answers 503 for a parameter with no value', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: NAME, Type: 'SecureString' } });
    await expect(
      ssmSecretSource({ name: NAME, maxAgeSeconds: 300, provider: provider() })(),
    ).rejects.toMatchObject({
      name: 'SecretsUnavailableError',
      cause: { message: 'the parameter has no value' },
    });
  });
});
