import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';

/**
 * Short socket timeouts: ZEGO waits for our answer, and a 503 it retries beats a hung request
 * (throwOnRequestTimeout: past requestTimeout the SDK would otherwise only warn and wait on).
 * Requests go to the endpoint the SDK resolves (the regional one on AWS, AWS_ENDPOINT_URL_SQS
 * locally), not to the host inside the queue URL: local engines name hosts that do not resolve.
 * `overrides` is for local engines (endpoint, credentials), so they run with these settings too.
 *
 * cacheMiddleware: the SDK resolves each command's middleware stack once instead of on every call
 * (+18-28% SendMessage a second in the benchmark); nothing here adds middleware to one command.
 */
export function createSqsClient(overrides: SQSClientConfig = {}): SQSClient {
  return new SQSClient({
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000, throwOnRequestTimeout: true },
    useQueueUrlAsEndpoint: false,
    cacheMiddleware: true,
    ...overrides,
  });
}

let shared: SQSClient | undefined;

/**
 * One client per cold start, made on first use; region and endpoint from the standard SDK variables.
 * Made when needed because the consumer sends to SQS only to dead-letter a message: most of its
 * cold starts never need a client (constructing one is ~2 ms of a cold start, BENCHMARKS.md).
 */
export function sqsClient(): SQSClient {
  shared ??= createSqsClient();
  return shared;
}
