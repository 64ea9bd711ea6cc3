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
    const book = await ssmSecretSource(NAME, 300, provider())();
    expect(secretsFor(book, '111111')).toEqual(['fake-new', 'fake-old']);
    expect(ssm.commandCalls(GetParameterCommand)[0]?.args[0].input).toMatchObject({
      Name: NAME,
      WithDecryption: true,
    });
  });

  it('serves from its cache within maxAge and reads a rotation after it', async () => {
    ssm.on(GetParameterCommand).resolves(answer('fake-old'));
    const secrets = ssmSecretSource(NAME, 300, provider());
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
  ])(
    'answers %s with SecretsUnavailableError (503: ZEGO retries), naming the parameter, not the value',
    async (_case, arrange) => {
      arrange();
      const attempt = ssmSecretSource(NAME, 300, provider())();
      await expect(attempt).rejects.toThrow(SecretsUnavailableError);
      await expect(attempt).rejects.toThrow(NAME);
      await expect(attempt).rejects.not.toThrow(/"x"/);
    },
  );
});
