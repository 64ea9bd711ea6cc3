import { describe, expect, it, vi } from 'vitest';
import { signingSecret } from '../../../cli/target';
import { signCallback } from '../../../lib/zego/signature';
import { LOCAL_DEV_SECRET } from '../../../tools/local-stack/defaults';
import { localStateFileForTest, runningStack, zego } from './run-zego';

describe('the secret send, sign and verify use', () => {
  it('is --secret first', () => {
    runningStack('stack-secret');
    expect(signingSecret('flag-secret', { ZEGO_CALLBACK_SECRET: 'env-secret' })).toEqual({
      secret: 'flag-secret',
      source: '--secret',
    });
  });

  it('is ZEGO_CALLBACK_SECRET without --secret', () => {
    runningStack('stack-secret');
    expect(signingSecret(undefined, { ZEGO_CALLBACK_SECRET: 'env-secret' }).secret).toBe('env-secret');
  });

  it("is the running npm start's secret without either (its state file)", () => {
    runningStack('stack-secret');
    expect(signingSecret(undefined, { ZEGO_CALLBACK_SECRET: '' })).toEqual({
      secret: 'stack-secret',
      source: "the running `npm start`'s secret",
    });
  });

  it('is the development secret when no npm start runs', () => {
    localStateFileForTest(); // none written
    expect(signingSecret(undefined, {}).secret).toBe(LOCAL_DEV_SECRET);
  });

  it('signs `zego sign` with the running stack’s secret', async () => {
    runningStack('stack-secret');
    vi.stubEnv('ZEGO_CALLBACK_SECRET', '');
    const { stdout, code } = await zego('sign', '--timestamp', '1689835223', '--nonce', '42');
    expect(code).toBe(0);
    expect(stdout).toBe(signCallback('stack-secret', { timestamp: '1689835223', nonce: '42' }));
  });
});
