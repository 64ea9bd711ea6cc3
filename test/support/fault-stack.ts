import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Hooks } from '../../lib/hook-contract';
import { startEventSourceMapping } from '../../scripts/local/event-source-mapping';
import { startHttpApi } from '../../scripts/local/http-api';
import { lambdaContext } from '../../scripts/local/lambda-context';
import { queueDepth } from '../../scripts/local/queue-depth';
import { startFaultProxy } from './fault-proxy';
import { consumerHandler, ingestHandler, startLocalStack } from './local-stack';

export interface FaultStackOptions {
  /** The queue's visibility timeout, in seconds. */
  visibilityTimeout: number;
  /** The consumer's Lambda timeout: in-progress idempotency records expire with it. */
  consumerTimeoutMs: number;
  /** The hooks the consumer calls; the missing ones do nothing. */
  hooks?: Partial<Pick<Hooks, 'onMixStarted' | 'onMixStopped'>>;
  /** How many event source mapping pollers run at once (Lambda runs several for several groups). */
  pollers?: number;
  enqueueTimeoutMs?: number;
}

/**
 * The whole pipeline with the real handlers, whose AWS calls go through fault proxies: ingest's
 * SQS calls (`sqsProxy`) and DynamoDB calls (the signature bindings, `signaturesProxy`), and the
 * consumer's DynamoDB calls (`dynamoProxy`). The event source mapping (AWS's side) talks to SQS
 * directly: it is not what fails.
 */
export async function startFaultStack(options: FaultStackOptions) {
  const stack = await startLocalStack({ VisibilityTimeout: String(options.visibilityTimeout) });
  const port = (endpoint: string | undefined) => Number(new URL(endpoint ?? '').port);
  const sqsProxy = await startFaultProxy(port(stack.env.AWS_ENDPOINT_URL_SQS));
  const signaturesProxy = await startFaultProxy(port(stack.env.AWS_ENDPOINT_URL_DYNAMODB));
  const dynamoProxy = await startFaultProxy(port(stack.env.AWS_ENDPOINT_URL_DYNAMODB));
  const aws = { region: stack.env.AWS_REGION, credentials: stack.dynamo.config.credentials };
  const clients = {
    ingestSqs: new SQSClient({
      ...aws,
      endpoint: sqsProxy.endpoint,
      maxAttempts: 3,
      useQueueUrlAsEndpoint: false,
    }),
    ingestDynamo: new DynamoDBClient({ ...aws, endpoint: signaturesProxy.endpoint, maxAttempts: 2 }),
    consumerDynamo: new DynamoDBClient({ ...aws, endpoint: dynamoProxy.endpoint, maxAttempts: 5 }),
  };
  const ingest = ingestHandler(stack, {
    env: { ENQUEUE_TIMEOUT_MS: String(options.enqueueTimeoutMs ?? 1_000) },
    sqs: clients.ingestSqs,
    dynamo: clients.ingestDynamo,
  });
  const nothing = async () => {};
  const consumer = consumerHandler(
    stack,
    {
      onMixStarted: options.hooks?.onMixStarted ?? nothing,
      onMixStopped: options.hooks?.onMixStopped ?? nothing,
    },
    { dynamo: clients.consumerDynamo },
  );
  const api = await startHttpApi(
    [
      {
        method: 'POST',
        path: '/zego/callback',
        handler: ingest,
        context: () => lambdaContext('ingest', 10_000),
      },
    ],
    0,
  );
  const consumed = { batches: 0, failedRecords: 0, thrown: 0 };
  const pollers = Array.from({ length: options.pollers ?? 1 }, () =>
    startEventSourceMapping({
      sqs: stack.sqs,
      queueUrl: stack.queue.url,
      queueArn: stack.queue.arn,
      region: 'us-east-1',
      handler: consumer,
      context: () => lambdaContext('consumer', options.consumerTimeoutMs),
      onBatch: (report) => {
        consumed.batches += 1;
        consumed.failedRecords += report.failed;
        if (report.error) consumed.thrown += 1;
      },
    }),
  );
  return {
    stack,
    sqsProxy,
    signaturesProxy,
    dynamoProxy,
    callbackUrl: `${api.url}/zego/callback`,
    /** What the event source mapping saw: failed records are the ones SQS will deliver again. */
    consumed,
    /** Waits until the callback queue holds nothing, visible or in flight. */
    async settle(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if ((await queueDepth(stack.sqs, stack.queue.url)) === 0) return;
        if (Date.now() > deadline) throw new Error('the queue did not drain');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    deadLetterDepth: () => queueDepth(stack.sqs, stack.deadLetterQueue.url),
    async stop() {
      await api.stop();
      await Promise.all(pollers.map((poller) => poller.stop()));
      for (const client of Object.values(clients)) client.destroy();
      await sqsProxy.stop();
      await signaturesProxy.stop();
      await dynamoProxy.stop();
      await stack.stop();
    },
  };
}
