import type { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { SecretsUnavailableError } from '../errors';
import { parseSecretBook, type SecretBook, type SecretSource, staticSecretSource } from './secrets';
import { sharedSsmProvider } from './ssm-client';

export interface SsmSecretSourceOptions {
  /** The SecureString parameter's name. */
  name: string;
  /** Warm functions re-read the parameter this often, so a rotation reaches all of them. */
  maxAgeSeconds: number;
  /** The appids this stage serves (a plain secret serves exactly these). */
  appIds?: readonly string[];
  /**
   * When a refresh fails (SSM throttling, an outage), the last good book keeps serving for this
   * long, and SSM is asked again at most every `retryAfterFailureSeconds`, so a throttled SSM
   * neither turns into a burst of 503s nor gets hammered by every request.
   */
  staleIfErrorSeconds?: number;
  retryAfterFailureSeconds?: number;
  /** Current time in milliseconds. */
  now?: () => number;
  provider?: SSMProvider;
  /** Told when a refresh failed and the last good book was served instead. */
  onStale?: (error: unknown) => void;
  /** What the parameter holds, for error messages: `callback secret` (ingest) or `server secret`. */
  label?: string;
}

/**
 * Secrets from an SSM SecureString parameter, cached for `maxAgeSeconds`. A failure with no good
 * book to fall back on (missing parameter, no permission, an unparsable value) is a 503: ZEGO
 * retries while an operator fixes it.
 */
export function ssmSecretSource({
  name,
  maxAgeSeconds,
  appIds,
  staleIfErrorSeconds = 3_600,
  retryAfterFailureSeconds = 10,
  now = Date.now,
  provider,
  onStale,
  label = 'callback secret',
}: SsmSecretSourceOptions): SecretSource {
  let parsed: { spec: string; book: SecretBook } | undefined;
  let lastGood: { book: SecretBook; at: number } | undefined;
  let failedAt: number | undefined;
  const fresh = (since: number | undefined, seconds: number) =>
    since !== undefined && now() - since < seconds * 1000;

  return async () => {
    if (lastGood && fresh(failedAt, retryAfterFailureSeconds)) return lastGood.book;
    try {
      const spec = await (provider ?? sharedSsmProvider()).get(name, {
        decrypt: true,
        maxAge: maxAgeSeconds,
      });
      if (typeof spec !== 'string') throw new Error('the parameter has no value');
      // Stryker disable next-line ConditionalExpression: parsing again gives the same book; the check only saves the work
      if (parsed?.spec !== spec) parsed = { spec, book: parseSecretBook(spec, { appIds }) };
      lastGood = { book: parsed.book, at: now() };
      failedAt = undefined;
      return parsed.book;
    } catch (error) {
      failedAt = now();
      if (lastGood && fresh(lastGood.at, staleIfErrorSeconds)) {
        onStale?.(error);
        return lastGood.book;
      }
      throw new SecretsUnavailableError(`the ${label} parameter ${name} could not be read`, {
        cause: error,
      });
    }
  };
}

/**
 * Where a function's secrets come from, as its configuration says: the book itself (local use and
 * tests) or an SSM parameter (deployed), read as ssmSecretSource does.
 */
export function secretSource(
  setting: { inline: SecretBook } | { parameter: string },
  options: Omit<SsmSecretSourceOptions, 'name'>,
): SecretSource {
  return 'inline' in setting
    ? staticSecretSource(setting.inline)
    : ssmSecretSource({ ...options, name: setting.parameter });
}
