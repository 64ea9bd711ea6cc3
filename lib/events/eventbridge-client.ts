import { EventBridgeClient, type EventBridgeClientConfig } from '@aws-sdk/client-eventbridge';

/**
 * The client that publishes run events. Short timeouts: a publish runs inside a consumer batch of
 * up to 10 callbacks (30 s) and inside the scheduled check's budget; a failed one is retried with
 * the record (or the next check), so the SDK's own retries stay few. throwOnRequestTimeout: past
 * requestTimeout the SDK would otherwise only warn and wait on. `overrides` is for the local
 * stand-in of the bus (endpoint, credentials).
 */
export function createEventBridgeClient(overrides: EventBridgeClientConfig = {}): EventBridgeClient {
  return new EventBridgeClient({
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000, throwOnRequestTimeout: true },
    ...overrides,
  });
}

let shared: EventBridgeClient | undefined;

/** One client per cold start, made on first use (only when publishing is on). */
export function eventBridgeClient(): EventBridgeClient {
  shared ??= createEventBridgeClient();
  return shared;
}
