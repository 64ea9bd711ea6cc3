import { Logger } from '@aws-lambda-powertools/logger';
import { expect } from 'vitest';
import type { Hooks } from '../../lib/hook-contract';
import { createIngestDynamoClient } from '../../lib/ingest/dynamodb-client';
import { createSqsClient } from '../../lib/queue/sqs-client';
import { createDynamoClient } from '../../lib/store/dynamodb-client';
import { LOCAL_REGION, localCredentials } from '../../tools/local-stack/engines';
import { startLocalPipeline } from '../../tools/local-stack/pipeline';
import { queueDepth } from '../../tools/local-stack/queue-depth';
import { startFaultProxy } from './fault-proxy';
import { startLocalStack } from './local-stack';

export interface FaultStackOptions {
  /** The queue's visibility timeout, in seconds. */
  visibilityTimeout: number;
  /** The consumer's Lambda timeout: in-progress idempotency records expire with it. */
  consumerTimeoutMs: number;
  /** The hooks the consumer calls; the missing ones do nothing. */
  hooks?: Partial<Pick<Hooks, 'onMixStarted' | 'onMixUpdated' | 'onMixStopped'>>;
  /** How many event source mapping pollers run at once (Lambda runs several for several groups). */
  pollers?: number;
  enqueueTimeoutMs?: number;
}

/**
 * The whole pipeline (tools/local-stack/pipeline.ts) with the real handlers, whose AWS calls go
 * through fault proxies: ingest's SQS calls (`sqsProxy`) and DynamoDB calls (the signature
 * bindings, `signaturesProxy`), and the consumer's DynamoDB calls (`dynamoProxy`). The event source
 * mapping (AWS's side) talks to SQS directly: it is not what fails.
 */
export async function startFaultStack(options: FaultStackOptions) {
  const stack = await startLocalStack({ VisibilityTimeout: String(options.visibilityTimeout) });
  const port = (endpoint: string) => Number(new URL(endpoint).port);
  const sqsProxy = await startFaultProxy(port(stack.sqsEndpoint));
  const signaturesProxy = await startFaultProxy(port(stack.dynamoEndpoint));
  const dynamoProxy = await startFaultProxy(port(stack.dynamoEndpoint));
  const aws = { region: LOCAL_REGION, credentials: localCredentials };
  // The functions' own clients (timeouts, retries), pointed at the proxies.
  const clients = {
    ingestSqs: createSqsClient({ ...aws, endpoint: sqsProxy.endpoint }),
    ingestDynamo: createIngestDynamoClient({ ...aws, endpoint: signaturesProxy.endpoint }),
    consumerDynamo: createDynamoClient({ ...aws, endpoint: dynamoProxy.endpoint }),
  };
  const nothing = async () => {};
  const consumed = { batches: 0, failedRecords: 0, thrown: 0 };
  const silent = () => new Logger({ logLevel: 'SILENT' });
  const pipeline = await startLocalPipeline({
    stack,
    port: 0,
    hooks: {
      onMixStarted: options.hooks?.onMixStarted ?? nothing,
      onMixStopped: options.hooks?.onMixStopped ?? nothing,
      onMixUpdated: options.hooks?.onMixUpdated,
    },
    ingest: {
      env: { ENQUEUE_TIMEOUT_MS: String(options.enqueueTimeoutMs ?? 1_000) },
      sqs: clients.ingestSqs,
      dynamo: clients.ingestDynamo,
      logger: silent(),
    },
    consumer: { dynamo: clients.consumerDynamo, logger: silent() },
    pollers: options.pollers,
    consumerTimeoutMs: options.consumerTimeoutMs,
    onBatch: (report) => {
      consumed.batches += 1;
      consumed.failedRecords += report.failed;
      if (report.error) consumed.thrown += 1;
    },
  });
  return {
    stack,
    sqsProxy,
    signaturesProxy,
    dynamoProxy,
    callbackUrl: pipeline.callbackUrl,
    /** What the event source mapping saw: failed records are the ones SQS will deliver again. */
    consumed,
    /** Waits until the callback queue holds nothing, visible or in flight. */
    settle: (timeout = 30_000) =>
      expect.poll(() => queueDepth(stack.clients.sqs, stack.queue.url), { timeout, interval: 200 }).toBe(0),
    deadLetterDepth: () => queueDepth(stack.clients.sqs, stack.deadLetterQueue.url),
    async stop() {
      await pipeline.stop();
      for (const client of Object.values(clients)) client.destroy();
      await sqsProxy.stop();
      await signaturesProxy.stop();
      await dynamoProxy.stop();
      await stack.stop();
    },
  };
}
