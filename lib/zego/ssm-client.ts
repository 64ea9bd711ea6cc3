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
