import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hookSetting, hookSettings } from '../../../lib/hook-settings';

const ssm = mockClient(SSMClient);
const PATH = '/zego-mix-callbacks/test/hooks';
const provider = () => new SSMProvider({ awsSdkV3Client: new SSMClient({ region: 'us-east-1' }) });

beforeEach(() => {
  ssm.reset();
  vi.useFakeTimers({ now: new Date('2026-12-03T00:00:00Z'), toFake: ['Date'] });
});
afterEach(() => vi.useRealTimers());

describe('hookSettings, deployed (HOOK_PARAMETERS_PATH)', () => {
  const env = { HOOK_PARAMETERS_PATH: PATH };

  it('gives every parameter directly under the path by its name there, decrypted', async () => {
    ssm.on(GetParametersByPathCommand).resolves({
      Parameters: [
        { Name: `${PATH}/BILLING_TABLE`, Value: 'billing-test', Type: 'String' },
        { Name: `${PATH}/PARTNER_TOKEN`, Value: 'token-value', Type: 'SecureString' },
      ],
    });
    expect(await hookSettings({ env, provider: provider() })).toEqual({
      BILLING_TABLE: 'billing-test',
      PARTNER_TOKEN: 'token-value',
    });
    expect(ssm.commandCalls(GetParametersByPathCommand)[0]?.args[0].input).toMatchObject({
      Path: PATH,
      WithDecryption: true,
      Recursive: false,
    });
  });

  it('leaves out a parameter with no value', async () => {
    ssm.on(GetParametersByPathCommand).resolves({
      Parameters: [{ Name: `${PATH}/EMPTY` }, { Name: `${PATH}/A`, Value: '1' }],
    });
    expect(await hookSettings({ env, provider: provider() })).toEqual({ A: '1' });
  });

  it('reads SSM again only after maxAgeSeconds (300 by default)', async () => {
    ssm.on(GetParametersByPathCommand).resolves({ Parameters: [{ Name: `${PATH}/A`, Value: '1' }] });
    const reader = provider();
    await hookSettings({ env, provider: reader });
    await hookSettings({ env, provider: reader });
    expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(1);
    vi.setSystemTime(Date.now() + 301_000);
    await hookSettings({ env, provider: reader });
    expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(2);
  });

  it('throws when SSM cannot be read, so the record is delivered again', async () => {
    ssm.on(GetParametersByPathCommand).rejects(new Error('AccessDeniedException'));
    await expect(hookSettings({ env, provider: provider() })).rejects.toThrow('AccessDeniedException');
  });

  it('names a missing setting and where to add it', async () => {
    ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
    await expect(hookSetting('BILLING_TABLE', { env, provider: provider() })).rejects.toThrow(
      'the hook setting BILLING_TABLE is not set: add it under the stage’s hook parameter path'.replace(
        '’',
        "'",
      ),
    );
  });
});

describe('hookSettings, local (HOOK_SETTINGS)', () => {
  it('gives the inline object, without asking SSM', async () => {
    const env = { HOOK_SETTINGS: '{"BILLING_TABLE":"billing-dev"}' };
    expect(await hookSettings({ env, provider: provider() })).toEqual({ BILLING_TABLE: 'billing-dev' });
    expect(await hookSetting('BILLING_TABLE', { env })).toBe('billing-dev');
    expect(ssm.calls()).toHaveLength(0);
  });

  it('refuses text that is not JSON in one sentence', async () => {
    await expect(hookSettings({ env: { HOOK_SETTINGS: '{BILLING_TABLE: x}' } })).rejects.toThrow(
      /^HOOK_SETTINGS must be a JSON object of names to strings$/,
    );
  });

  it.each([
    ['not JSON', '{BILLING_TABLE: x}'],
    ['a list', '["x"]'],
    ['a number value', '{"RETRIES":3}'],
    ['a name with a space', '{"A B":"x"}'],
  ])('refuses %s, naming the variable', async (_, text) => {
    await expect(hookSettings({ env: { HOOK_SETTINGS: text } })).rejects.toThrow(
      'HOOK_SETTINGS must be a JSON object of names to strings',
    );
  });

  it('is empty when neither is set, and refuses both at once', async () => {
    expect(await hookSettings({ env: {} })).toEqual({});
    await expect(
      hookSettings({ env: { HOOK_SETTINGS: '{}', HOOK_PARAMETERS_PATH: PATH }, provider: provider() }),
    ).rejects.toThrow('set only one of HOOK_SETTINGS and HOOK_PARAMETERS_PATH');
  });
});
