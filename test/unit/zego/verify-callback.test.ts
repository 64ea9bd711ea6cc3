import { describe, expect, it } from 'vitest';
import { SignatureMismatchError, StaleTimestampError, UnknownAppError } from '../../../lib/errors';
import { parseCallback } from '../../../lib/zego/callback-schema';
import { parseSecretBook } from '../../../lib/zego/secrets';
import { duration, verifyCallback } from '../../../lib/zego/verify-callback';
import { signedCallback, TEST_NOW_MS, TEST_SECRET } from '../../support/callbacks';
import { thrownBy } from '../../support/thrown';

const secrets = parseSecretBook(`{"111111":"${TEST_SECRET}"}`);
const verify = (overrides: Record<string, unknown>, offsetSeconds = 0) =>
  verifyCallback(parseCallback(signedCallback(overrides)), {
    secrets,
    maxClockSkewSeconds: 300,
    now: () => TEST_NOW_MS + offsetSeconds * 1000,
  });
describe('verifyCallback', () => {
  it('names the appid that has no secret (in the log; the answer is the bad-signature one)', () => {
    const error = thrownBy(() => verify({ appid: '222222' }));
    expect(error).toBeInstanceOf(UnknownAppError);
    expect(error.message).toBe('no callback secret is configured for appid 222222');
  });

  it('checks the signature before the clock', () => {
    expect(thrownBy(() => verify({ signature: 'f'.repeat(40) }, 3_600))).toBeInstanceOf(
      SignatureMismatchError,
    );
  });

  it.each([
    ['behind', 301, 'the timestamp is 5 min 1 s in the past of our clock; at most 5 min is accepted'],
    ['ahead', -7_200, 'the timestamp is 2 h in the future of our clock; at most 5 min is accepted'],
  ])('says how far %s of our clock a stale timestamp is, and the limit', (_case, offset, says) => {
    const error = thrownBy(() => verify({}, offset));
    expect(error).toBeInstanceOf(StaleTimestampError);
    expect(error.message).toMatch(
      new RegExp(`^${says} \\(maxClockSkewSeconds\\)\\. A replayed capture is too old`),
    );
    expect(error.message).toMatch(/`npx zego send`\), or check the clocks$/);
  });
});

describe('duration', () => {
  it.each([
    [0, '0 s'],
    [59.4, '59 s'],
    [59.6, '1 min'],
    [60, '1 min'],
    [61, '1 min 1 s'],
    [3_599, '59 min 59 s'],
    [3_600, '1 h'],
    [3_659, '1 h'],
    [3_660, '1 h 1 min'],
    [106_020 - 86_400, '5 h 27 min'],
    [86_399, '23 h 59 min'],
    [86_400, '1 day'],
    [89_999, '1 day'],
    [90_000, '1 day 1 h'],
    [2 * 86_400 + 4 * 3_600 + 59, '2 days 4 h'],
    [3 * 86_400, '3 days'],
  ])('writes %s seconds as "%s"', (seconds, text) => {
    expect(duration(seconds)).toBe(text);
  });
});
