import { describe, expect, it } from 'vitest';
import * as errors from '../../lib/errors';

const callbackErrors = [
  [errors.BodyTooLargeError, 413, 'body_too_large'],
  [errors.MalformedBodyError, 400, 'malformed_body'],
  [errors.InvalidCallbackError, 400, 'invalid_callback'],
  [errors.UnknownAppError, 401, 'unknown_appid'],
  [errors.SignatureMismatchError, 401, 'bad_signature'],
  [errors.StaleTimestampError, 401, 'stale_timestamp'],
  [errors.SignatureReusedError, 401, 'signature_reused'],
  [errors.SecretsUnavailableError, 503, 'secrets_unavailable'],
  [errors.SignatureStoreUnavailableError, 503, 'signature_store_unavailable'],
  [errors.QueueUnavailableError, 503, 'queue_unavailable'],
] as const;

describe('errors', () => {
  it.each([...callbackErrors.map(([type]) => type), errors.PoisonMessageError])(
    'names %o after its class, as the logs show it',
    (type) => {
      const error = new (type as new (message: string) => Error)('what went wrong');
      expect(error.name).toBe(type.name);
      expect(String(error)).toBe(`${type.name}: what went wrong`);
    },
  );

  it.each(callbackErrors)('answers %o with %i and reason %s', (type, status, reason) => {
    const error = new (type as new (message: string) => Error)('what went wrong');
    expect(error).toMatchObject({ status, reason });
  });

  it('tells the caller why a 4xx, and only the reason of a 5xx', () => {
    expect(new errors.StaleTimestampError('too old').answer).toEqual({
      error: 'stale_timestamp',
      message: 'too old',
    });
    expect(new errors.QueueUnavailableError('SQS said: internals').answer).toEqual({
      error: 'queue_unavailable',
    });
  });

  it('answers an unknown appid and a wrong signature alike, whatever the log message says', () => {
    const unknown = new errors.UnknownAppError('no secret for appid 222222').answer;
    expect(unknown).toEqual(new errors.SignatureMismatchError('mismatch').answer);
    expect(unknown).toEqual({
      error: 'bad_signature',
      message:
        'the signature does not match the CallbackSecret configured here for this appid (or the appid is not served here); ' +
        'check the secret and the appids configured for this endpoint (`npx zego verify` checks a captured body)',
    });
  });
});
