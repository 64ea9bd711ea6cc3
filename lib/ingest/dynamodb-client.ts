import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

/**
 * The ingest function's DynamoDB client (one write per callback, the signature binding). Short
 * timeouts and few attempts, like the SQS client's: ZEGO is waiting for our answer, and a 503 that
 * it retries beats a hung request. The plain client, not the document client, keeps the
 * marshalling code out of the ingest bundle. `overrides` is for local engines.
 *
 * cacheMiddleware: the SDK resolves each command's middleware stack once instead of on every call,
 * ~12% less CPU per PutItem (BENCHMARKS.md). It ignores middleware added to a single command, which
 * nothing here does; the document client refuses such a client, so it cannot be wrapped by mistake.
 */
export function createIngestDynamoClient(overrides: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 1_500, throwOnRequestTimeout: true },
    cacheMiddleware: true,
    ...overrides,
  });
}

/** Created once per cold start; region and endpoint from the standard SDK variables. */
export const ingestDynamoClient = createIngestDynamoClient();
