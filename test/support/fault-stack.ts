import { startEventSourceMapping } from '../../scripts/local/event-source-mapping';
import { startHttpApi } from '../../scripts/local/http-api';
import { lambdaContext } from '../../scripts/local/lambda-context';
import { queueDepth } from '../../scripts/local/queue-depth';
import { TEST_SECRET } from './callbacks';
import { startFaultProxy } from './fault-proxy';
import { startLocalStack } from './local-stack';

export interface FaultStackOptions {
  /** The queue's visibility timeout, in seconds. */
  visibilityTimeout: number;
  /** The consumer's Lambda timeout: in-progress idempotency records expire with it. */
  consumerTimeoutMs: number;
  /** How many event source mapping pollers run at once (Lambda runs several for several groups). */
  pollers?: number;
  enqueueTimeoutMs?: number;
}

/**
 * The whole pipeline with the real handlers, whose SQS and DynamoDB calls go through fault
 * proxies. The event source mapping (AWS's side) talks to SQS directly: it is not what fails.
 */
export async function startFaultStack(options: FaultStackOptions) {
  const stack = await startLocalStack({ VisibilityTimeout: String(options.visibilityTimeout) });
  const sqsProxy = await startFaultProxy(Number(new URL(stack.env.AWS_ENDPOINT_URL_SQS ?? '').port));
  const dynamoProxy = await startFaultProxy(Number(new URL(stack.env.AWS_ENDPOINT_URL_DYNAMODB ?? '').port));
  Object.assign(process.env, stack.env, {
    AWS_ENDPOINT_URL_SQS: sqsProxy.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoProxy.endpoint,
    ZEGO_CALLBACK_SECRET: TEST_SECRET,
    ENQUEUE_TIMEOUT_MS: String(options.enqueueTimeoutMs ?? 1_000),
  });
  const { handler: ingest } = await import('../../functions/ingest');
  const { handler: consumer } = await import('../../functions/consumer');
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
      await sqsProxy.stop();
      await dynamoProxy.stop();
      await stack.stop();
    },
  };
}
