import { createHash, timingSafeEqual } from 'node:crypto';

export interface SignedFields {
  /** As received: never converted to a number. */
  timestamp: string;
  /** As received: 19 digits in current callbacks, more than a JS number holds. */
  nonce: string;
}

/**
 * ZEGO's callback signature: SHA-1 over the secret, timestamp and nonce, sorted as strings in
 * code-unit order (not numerically, not by locale) and joined with no separator; lowercase hex.
 */
export function signCallback(secret: string, { timestamp, nonce }: SignedFields): string {
  // sort() without a comparator orders strings by UTF-16 code units, as ZEGO's sort does.
  const parts = [secret, timestamp, nonce].sort();
  return createHash('sha1').update(parts.join(''), 'utf8').digest('hex');
}

/**
 * True when `signature` matches any of the app's secrets (two during a rotation).
 * Compares in constant time and checks every secret, so timing says nothing about which matched.
 */
export function verifyCallbackSignature(
  secrets: readonly string[],
  fields: SignedFields,
  signature: string,
): boolean {
  const received = Buffer.from(signature.toLowerCase(), 'utf8');
  let matched = false;
  for (const secret of secrets) {
    const expected = Buffer.from(signCallback(secret, fields), 'utf8');
    if (expected.length === received.length && timingSafeEqual(expected, received)) matched = true;
  }
  return matched;
}
