import { SignatureMismatchError, StaleTimestampError, UnknownAppError } from '../errors';
import type { ParsedCallback } from './callback-schema';
import { type SecretBook, secretsFor } from './secrets';
import { verifyCallbackSignature } from './signature';

export interface VerifyOptions {
  secrets: SecretBook;
  /** Largest accepted |now - timestamp| in seconds; 0 turns the check off. */
  maxClockSkewSeconds: number;
  /** Current time in milliseconds. */
  now: () => number;
}

/**
 * Checks that the callback comes from ZEGO: a secret is configured for its appid, the signature
 * matches one of them, and its timestamp is recent. Authenticity is checked before freshness so
 * an unsigned caller learns nothing about our clock.
 */
export function verifyCallback(
  { callback, signed }: ParsedCallback,
  { secrets, maxClockSkewSeconds, now }: VerifyOptions,
): void {
  const appSecrets = secretsFor(secrets, callback.appid);
  if (appSecrets.length === 0) {
    throw new UnknownAppError(`no callback secret is configured for appid ${callback.appid}`);
  }
  if (!verifyCallbackSignature(appSecrets, signed, signed.signature)) {
    throw new SignatureMismatchError('the signature does not match any callback secret of the appid');
  }
  if (maxClockSkewSeconds > 0) {
    const ahead = Number(callback.timestamp) - now() / 1000;
    if (Math.abs(ahead) > maxClockSkewSeconds) {
      // Stryker disable next-line EqualityOperator: ahead is never 0 here (0 passes the skew check)
      const when = ahead > 0 ? 'in the future' : 'in the past';
      throw new StaleTimestampError(
        `the timestamp is ${duration(Math.abs(ahead))} ${when} of our clock; at most ${duration(maxClockSkewSeconds)} ` +
          'is accepted (maxClockSkewSeconds). A replayed capture is too old: send a fresh callback ' +
          '(`npx zego send`), or check the clocks',
      );
    }
  }
}

/** "45 s", "12 min 5 s", "29 h 27 min", "3 days 4 h": enough to see how far off a clock is. */
export function duration(totalSeconds: number): string {
  const s = Math.round(totalSeconds);
  if (s < 60) return `${s} s`;
  if (s < 3_600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  if (s < 86_400)
    return `${Math.floor(s / 3_600)} h${s % 3_600 >= 60 ? ` ${Math.floor((s % 3_600) / 60)} min` : ''}`;
  const days = Math.floor(s / 86_400);
  return `${days} day${days === 1 ? '' : 's'}${s % 86_400 >= 3_600 ? ` ${Math.floor((s % 86_400) / 3_600)} h` : ''}`;
}
