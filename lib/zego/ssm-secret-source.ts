import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SecretsUnavailableError } from '../errors';
import { parseSecretBook, type SecretBook, type SecretSource } from './secrets';

let sharedProvider: SSMProvider | undefined;

/** Created on first use, so a deployment with the secret in the environment never loads it. */
function defaultProvider(): SSMProvider {
  sharedProvider ??= new SSMProvider({ awsSdkV3Client: new SSMClient({}) });
  return sharedProvider;
}

/**
 * Secrets from an SSM SecureString parameter, cached by Powertools for `maxAgeSeconds`, so a
 * rotation reaches every warm function within that time. Any failure (missing parameter, no
 * permission, unparsable value) is a 503: ZEGO retries while an operator fixes it.
 */
export function ssmSecretSource(
  name: string,
  maxAgeSeconds: number,
  provider: SSMProvider = defaultProvider(),
): SecretSource {
  let parsed: { spec: string; book: SecretBook } | undefined;
  return async () => {
    try {
      const spec = await provider.get(name, { decrypt: true, maxAge: maxAgeSeconds });
      if (typeof spec !== 'string') throw new Error('the parameter has no value');
      if (parsed?.spec !== spec) parsed = { spec, book: parseSecretBook(spec) };
      return parsed.book;
    } catch (error) {
      throw new SecretsUnavailableError(`the callback secret parameter ${name} could not be read`, {
        cause: error,
      });
    }
  };
}
