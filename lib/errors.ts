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
  abstract readonly reason: string;
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

export class UnknownAppError extends CallbackError {
  override readonly name = 'UnknownAppError';
  readonly status = 401;
  readonly reason = 'unknown_appid';
}

export class SignatureMismatchError extends CallbackError {
  override readonly name = 'SignatureMismatchError';
  readonly status = 401;
  readonly reason = 'bad_signature';
}

export class StaleTimestampError extends CallbackError {
  override readonly name = 'StaleTimestampError';
  readonly status = 401;
  readonly reason = 'stale_timestamp';
}

export class SecretsUnavailableError extends CallbackError {
  override readonly name = 'SecretsUnavailableError';
  readonly status = 503;
  readonly reason = 'secrets_unavailable';
}

export class QueueUnavailableError extends CallbackError {
  override readonly name = 'QueueUnavailableError';
  readonly status = 503;
  readonly reason = 'queue_unavailable';
}

/** A queued message the consumer can never process; it fails until it reaches the DLQ. */
export class PoisonMessageError extends Error {
  override readonly name = 'PoisonMessageError';
}
