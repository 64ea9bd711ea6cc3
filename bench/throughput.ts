/**
 * Throughput of the bundles, required into this process, against their floors, in alternating
 * rounds. The engines share this machine's cores with the code, so the ratios measure CPU per
 * callback more than the network waits that dominate on AWS.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2, Context, SQSBatchResponse } from 'aws-lambda';
import type { PreparedMessage } from '../lib/queue/enqueue';
import { lambdaContext } from '../tools/local-stack/lambda-context';
import { interleavedRates, quietly } from '../tools/measure';
import type { Bundles } from './bundles';
import { benchApiEvent, benchQueuedMessage, benchSqsEvent } from './fixtures';
import type { BenchStack } from './stack';

type Handler<Result> = (event: never, context: Context) => Promise<Result>;

const ROUNDS = 10;
const BATCH = 10;

/** Calls each side gets: the measured rounds' and the first, uncounted one's (interleavedRates). */
const calls = (requests: number) => requests + requests / ROUNDS;

export interface IngestRates {
  ingest: number;
  /** A loop of SendMessage calls, as many in flight. */
  rawSend: number;
  /** A loop of one conditional PutItem then one SendMessage: ingest's two calls alone. */
  rawBindAndSend: number;
}

export interface ConsumerRates {
  consumer: number;
  /** One conditional write at a time, as one instance would. */
  rawPut: number;
  /** bench/floors/consumer.ts: one conditional write per record, batches of ten, like the consumer. */
  bareConsumer: number;
  /** bench/floors/idempotent-consumer.ts: the consumer's three writes per record, batches of ten. */
  idempotentConsumer: number;
}

/**
 * Each call is an invocation of its own, as on Lambda: one context for a whole run would count down
 * to its timeout across calls, and middy would end a long run's last ones early.
 */
const invocation = () => lambdaContext('bench', 30_000);

/** The bundles read their configuration as they load: the stack's environment first. */
function load<Result>(bundle: string, env: NodeJS.ProcessEnv): Handler<Result> {
  Object.assign(process.env, env);
  return require(bundle).handler;
}

export async function measureIngestThroughput(
  bundles: Bundles,
  stack: BenchStack,
  requests: number,
  concurrency: number,
): Promise<IngestRates> {
  const ingest = load<APIGatewayProxyStructuredResultV2>(bundles.ingest, stack.env);
  const events = Array.from({ length: calls(requests) }, benchApiEvent);
  // The floors send what ingest sends (the message of a fresh callback, its ids), each its own.
  const forSend = Array.from({ length: calls(requests) }, benchQueuedMessage);
  const forBind = Array.from({ length: calls(requests) }, benchQueuedMessage);
  const send = (message: PreparedMessage | undefined) =>
    stack.sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.queue.url,
        MessageBody: message?.body,
        MessageDeduplicationId: message?.deduplicationId,
        MessageGroupId: message?.groupId,
      }),
    );
  const [rawSend = 0, rawBindAndSend = 0, ingestRate = 0] = await quietly(() =>
    interleavedRates(ROUNDS, requests / ROUNDS, concurrency, [
      async (i) => {
        await send(forSend[i]);
      },
      async (i) => {
        const message = forBind[i];
        const key = { S: message?.deduplicationId ?? '' };
        const now = { N: String(Math.floor(Date.now() / 1000)) };
        await stack.dynamo.send(
          new PutItemCommand({
            TableName: stack.tables.signatures,
            Item: { signature: key, identityHash: key, boundAt: now, expiresAt: now },
            ConditionExpression:
              'attribute_not_exists(signature) OR identityHash = :identity OR expiresAt < :now',
            ExpressionAttributeValues: { ':identity': key, ':now': now },
          }),
        );
        await send(message);
      },
      async (i) => {
        const result = await ingest(events[i] as never, invocation());
        if (result.statusCode !== 200)
          throw new Error(`ingest answered ${result.statusCode}: ${result.body}`);
      },
    ]),
  );
  return { ingest: ingestRate, rawSend, rawBindAndSend };
}

export async function measureConsumerThroughput(
  bundles: Bundles,
  stack: BenchStack,
  requests: number,
): Promise<ConsumerRates> {
  const consumer = load<SQSBatchResponse>(bundles.consumer, stack.env);
  const bare = load<SQSBatchResponse>(bundles.floors.consumer, stack.env);
  const idempotent = load<SQSBatchResponse>(bundles.floors.idempotentConsumer, stack.env);
  const batches = (count: number) => Array.from({ length: Math.ceil(count) }, () => benchSqsEvent(BATCH));
  const consumerBatches = batches(calls(requests) / BATCH);
  const bareBatches = batches(calls(requests) / BATCH);
  const idempotentBatches = batches(calls(requests) / BATCH);
  const batch = (handler: Handler<SQSBatchResponse>, events: object[]) => async (i: number) => {
    // Every tenth call runs a batch of ten, so every side counts callbacks.
    if (i % BATCH !== 0) return;
    const response = await handler(events[i / BATCH] as never, invocation());
    if (response.batchItemFailures.length > 0) throw new Error('a consumer reported failures');
  };
  // One Lambda instance: batches one after another; the raw loop writes one item at a time.
  const [rawPut = 0, bareConsumer = 0, idempotentConsumer = 0, consumerRate = 0] = await quietly(() =>
    interleavedRates(ROUNDS, requests / ROUNDS, 1, [
      async (i) => {
        await stack.documents.send(
          new UpdateCommand({
            TableName: stack.tables.tasks,
            Key: { appid: 'raw', task_id: `raw-${i}` },
            UpdateExpression: 'SET #status = :status, #seq = :seq',
            ConditionExpression: 'attribute_not_exists(#seq) OR #seq < :seq',
            ExpressionAttributeNames: { '#status': 'status', '#seq': 'seq' },
            ExpressionAttributeValues: { ':status': 'stopped', ':seq': i },
          }),
        );
      },
      batch(bare, bareBatches),
      batch(idempotent, idempotentBatches),
      batch(consumer, consumerBatches),
    ]),
  );
  return { consumer: consumerRate, rawPut, bareConsumer, idempotentConsumer };
}
