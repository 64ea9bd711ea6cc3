/**
 * Named failures. A CallbackError is what the ingest path can answer: it carries the HTTP status
 * ZEGO will see and a stable reason code; `lib/ingest/http-response.ts` is the one place that turns
 * them into responses.
 *
 * 4xx messages are written for the caller and may be shown. 5xx messages are for our logs only:
 * the response carries just the reason code.
 */
export abstract class CallbackError extends Error {
  abstract readonly status: number;
  /** For our logs and metrics. */
  abstract readonly reason: string;

  /** What the caller is told: the reason and, for a 4xx, the message. */
  get answer(): { error: string; message?: string } {
    // Stryker disable next-line EqualityOperator: no CallbackError has status 500 (the 5xx ones are 503)
    return this.status < 500 ? { error: this.reason, message: this.message } : { error: this.reason };
  }
}

export class BodyTooLargeError extends CallbackError {
  override readonly name = 'BodyTooLargeError';
  readonly status = 413;
  readonly reason = 'body_too_large';
}

export class MalformedBodyError extends CallbackError {
  override readonly name = 'MalformedBodyError';
  readonly status = 400;
  readonly reason = 'malformed_body';
}

export class InvalidCallbackError extends CallbackError {
  override readonly name = 'InvalidCallbackError';
  readonly status = 400;
  readonly reason = 'invalid_callback';
}

/**
 * The one answer for an appid we serve with a wrong signature and for an appid we do not serve, so
 * a caller cannot probe which appids are configured here. The logs keep the difference.
 */
const NOT_AUTHENTICATED = {
  error: 'bad_signature',
  message:
    'the signature does not match the CallbackSecret configured here for this appid (or the appid is not served here); ' +
    'check the secret and the appids configured for this endpoint (`npx zego verify` checks a captured body)',
};

export class UnknownAppError extends CallbackError {
  override readonly name = 'UnknownAppError';
  readonly status = 401;
  readonly reason = 'unknown_appid';
  override get answer() {
    return NOT_AUTHENTICATED;
  }
}

export class SignatureMismatchError extends CallbackError {
  override readonly name = 'SignatureMismatchError';
  readonly status = 401;
  readonly reason = 'bad_signature';
  override get answer() {
    return NOT_AUTHENTICATED;
  }
}

export class StaleTimestampError extends CallbackError {
  override readonly name = 'StaleTimestampError';
  readonly status = 401;
  readonly reason = 'stale_timestamp';
}

/**
 * The callback reuses the (timestamp, nonce, signature) of another body: one of the two is a
 * forgery. The hashes (each body's digest, a SHA-256; never the signature) let the operator match
 * the refused body with the one that holds the signature.
 */
export class SignatureReusedError extends CallbackError {
  override readonly name = 'SignatureReusedError';
  readonly status = 401;
  readonly reason = 'signature_reused';
  constructor(
    message: string,
    readonly hashes: { bodyHash: string; heldBodyHash?: string | undefined },
  ) {
    super(message);
  }
}

export class SecretsUnavailableError extends CallbackError {
  override readonly name = 'SecretsUnavailableError';
  readonly status = 503;
  readonly reason = 'secrets_unavailable';
}

export class SignatureStoreUnavailableError extends CallbackError {
  override readonly name = 'SignatureStoreUnavailableError';
  readonly status = 503;
  readonly reason = 'signature_store_unavailable';
}

export class QueueUnavailableError extends CallbackError {
  override readonly name = 'QueueUnavailableError';
  readonly status = 503;
  readonly reason = 'queue_unavailable';
}

/**
 * A queued message the consumer can never process (not JSON, another version, a callback of the
 * wrong shape): it goes to the dead-letter queue at once instead of holding its task's group.
 */
export class PoisonMessageError extends Error {
  override readonly name = 'PoisonMessageError';
}
