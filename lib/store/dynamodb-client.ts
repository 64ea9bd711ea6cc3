import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

/**
 * One client per cold start; region and endpoint from the standard SDK variables (AWS_REGION,
 * AWS_ENDPOINT_URL_DYNAMODB for a local engine).
 *
 * Bounded in time: DynamoDB answers in milliseconds, so a connection not made within 1 s, or an
 * answer not started within 2 s, is a broken connection, better retried on a fresh one than waited
 * for. The SDK has no timeout of its own: without these a hung socket holds the call until Lambda
 * kills the invocation, which fails the consumer's whole batch (every record retried, each receive
 * counted towards the DLQ) and stops the orphan check before it publishes. Three attempts take at
 * most ~10 s (3 x (1 s + 2 s), plus backoff), a third of the consumer's 30 s timeout: the failing
 * record is reported on its own and SQS retries it, and the rest of the batch finishes. Throttling
 * gets the same three attempts (with the SDK's longer throttling backoff); past them, SQS's retry
 * after the visibility timeout gives an on-demand table minutes to scale.
 *
 * Past requestTimeout the SDK only logs a warning and waits on: throwOnRequestTimeout is not set
 * here. Set, a slow answer that DynamoDB did apply (an idempotency record completed after the hook
 * ran) fails the record, and its retry runs the hook a second time: test/faults/dynamodb-faults
 * .test.ts saw it on a loaded machine. Ingest's client and SSM's, which guard no hook, do set it.
 *
 * cacheMiddleware: the SDK resolves each command's middleware stack once instead of on every call.
 * The consumer's three writes a callback (Powertools Idempotency's two, the task store's one) all
 * go through this client: ~13% less CPU a callback than with the stack resolved per call
 * (BENCHMARKS.md). It ignores middleware added to a single command, which nothing here does:
 * Powertools adds its own to the client, and the task store marshals items itself
 * (lib/store/task-store.ts) rather than through the document client, which refuses such a client.
 */
export function createDynamoClient(overrides: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
    cacheMiddleware: true,
    ...overrides,
  });
}

/** The consumer's and the orphan check's client; `createDynamoClient(overrides)` for local engines. */
export const dynamoClient = createDynamoClient();
