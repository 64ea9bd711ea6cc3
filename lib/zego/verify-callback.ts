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
    throw new SignatureMismatchError('the signature does not match the callback secret');
  }
  if (maxClockSkewSeconds > 0) {
    const skew = Math.abs(now() / 1000 - Number(callback.timestamp));
    if (skew > maxClockSkewSeconds) {
      throw new StaleTimestampError(
        `the timestamp is ${Math.round(skew)} s away from our clock; at most ${maxClockSkewSeconds} s is accepted`,
      );
    }
  }
}
