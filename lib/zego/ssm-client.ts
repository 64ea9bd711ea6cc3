import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { SSMClient, type SSMClientConfig } from '@aws-sdk/client-ssm';

/**
 * The client that reads the secrets' SSM parameters (ingest's callback secret, the check's server
 * secret). Short timeouts and two attempts: a cold start waits on this read while ZEGO waits on us.
 * throwOnRequestTimeout: past requestTimeout the SDK would otherwise only log a warning and wait on.
 * `overrides` is for local engines and the benchmark's stand-in.
 */
export function createSsmClient(overrides: SSMClientConfig = {}): SSMClient {
  return new SSMClient({
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 1_500, throwOnRequestTimeout: true },
    ...overrides,
  });
}

let sharedProvider: SSMProvider | undefined;

/**
 * The parameter reader the secret sources use unless given one, reading through createSsmClient's
 * client. Created on first use, so a deployment with the secret in the environment never makes one.
 */
export function sharedSsmProvider(): SSMProvider {
  sharedProvider ??= new SSMProvider({ awsSdkV3Client: createSsmClient() });
  return sharedProvider;
}
