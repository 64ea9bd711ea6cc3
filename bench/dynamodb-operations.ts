/**
 * DynamoDB requests and write units per callback, counted rather than asserted: the functions' own
 * code (not the bundles) runs pairs of mix_start and mix_stop callbacks through ingest and then the
 * consumer, then each pair again (ZEGO's retry; a redelivery past SQS's de-duplication), each
 * function with a DynamoDB client that counts the operations it sends and asks DynamoDB what each
 * write consumed, its indexes included (ReturnConsumedCapacity).
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { type ConsumedCapacity, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadConsumerConfig, loadIngestConfig } from '../lib/config';
import { hooks } from '../lib/hooks';
import { createIngestHandler } from '../lib/ingest/ingest-handler';
import { createConsumerHandler } from '../lib/process/consumer-handler';
import { prepareMessage } from '../lib/queue/enqueue';
import { parseCallback } from '../lib/zego/callback-schema';
import { httpApiEvent } from '../tools/aws-events/http-api';
import { sqsFifoRecord } from '../tools/aws-events/sqs';
import { LOCAL_REGION, localCredentials } from '../tools/local-stack/engines';
import { lambdaContext } from '../tools/local-stack/lambda-context';
import { quietly } from '../tools/measure';
import { encodeCallback } from '../tools/zego-fake/callbacks';
import { benchCallback } from './fixtures';
import type { BenchStack } from './stack';

const WRITES = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'BatchWriteItemCommand',
  'TransactWriteItemsCommand',
]);

interface OperationsPerCallback {
  /** Write requests per callback, by operation. */
  writes: Record<string, number>;
  /** Read requests per callback, by operation. */
  reads: Record<string, number>;
  totalWrites: number;
  /** Write units per callback, tables and indexes, as DynamoDB reported them. */
  writeUnits: number;
  /** Of which the indexes'. */
  indexWriteUnits: number;
}

export interface DynamoOperations {
  /** A callback seen for the first time. */
  ingest: OperationsPerCallback;
  consumer: OperationsPerCallback;
  /** The same callback again. */
  ingestAgain: OperationsPerCallback;
  consumerAgain: OperationsPerCallback;
  callbacks: number;
}

interface Counts {
  requests: Map<string, number>;
  writeUnits: number;
  indexWriteUnits: number;
}

const newCounts = (): Counts => ({ requests: new Map(), writeUnits: 0, indexWriteUnits: 0 });

/** A client of the stack's DynamoDB engine that counts each operation it sends into `counts()`. */
function countingClient(stack: BenchStack, counts: () => Counts): DynamoDBClient {
  const client = new DynamoDBClient({
    region: LOCAL_REGION,
    credentials: localCredentials,
    endpoint: stack.env.AWS_ENDPOINT_URL_DYNAMODB,
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const tally = counts();
      const operation = context.commandName ?? 'unknown';
      tally.requests.set(operation, (tally.requests.get(operation) ?? 0) + 1);
      const write = WRITES.has(operation);
      if (write) (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'INDEXES';
      try {
        const result = await next(args);
        const consumed = (result.output as { ConsumedCapacity?: ConsumedCapacity }).ConsumedCapacity;
        if (write) {
          tally.writeUnits += consumed?.CapacityUnits ?? 0;
          for (const index of Object.values(consumed?.GlobalSecondaryIndexes ?? {}))
            tally.indexWriteUnits += index.CapacityUnits ?? 0;
        }
        return result;
      } catch (error) {
        // A write whose condition fails is billed all the same, at least one unit; the error
        // carries no figure.
        if (write && (error as Error).name === 'ConditionalCheckFailedException') tally.writeUnits += 1;
        throw error;
      }
    },
    { step: 'initialize', name: 'benchCountOperations' },
  );
  return client;
}

function perCallback(counts: Counts, callbacks: number): OperationsPerCallback {
  const writes: Record<string, number> = {};
  const reads: Record<string, number> = {};
  for (const [operation, count] of counts.requests) {
    (WRITES.has(operation) ? writes : reads)[operation.replace(/Command$/, '')] = count / callbacks;
  }
  return {
    writes,
    reads,
    totalWrites: Object.values(writes).reduce((sum, n) => sum + n, 0),
    writeUnits: counts.writeUnits / callbacks,
    indexWriteUnits: counts.indexWriteUnits / callbacks,
  };
}

export async function countDynamoOperations(stack: BenchStack, tasks = 50): Promise<DynamoOperations> {
  const counts: Record<keyof Omit<DynamoOperations, 'callbacks'>, Counts> = {
    ingest: newCounts(),
    consumer: newCounts(),
    ingestAgain: newCounts(),
    consumerAgain: newCounts(),
  };
  let again = false;
  const ingestClient = countingClient(stack, () => (again ? counts.ingestAgain : counts.ingest));
  const consumerClient = countingClient(stack, () => (again ? counts.consumerAgain : counts.consumer));
  const silent = () => new Logger({ logLevel: 'SILENT' });
  const ingest = createIngestHandler({
    config: loadIngestConfig(stack.env),
    dynamo: ingestClient,
    sqs: stack.sqs,
    logger: silent(),
  });
  const consumer = createConsumerHandler({
    config: loadConsumerConfig(stack.env),
    hooks,
    dynamo: consumerClient,
    sqs: stack.sqs,
    logger: silent(),
  });
  await quietly(async () => {
    for (let task = 0; task < tasks; task++) {
      const taskId = `count-${Date.now()}-${task}`;
      const pair = [
        benchCallback({ event: 'mix_start', taskId }),
        benchCallback({ event: 'mix_stop', taskId }),
      ];
      for (again of [false, true]) {
        for (const fields of pair) {
          const answer = await ingest(
            httpApiEvent({
              body: encodeCallback(fields, 'json').body,
              headers: { 'content-type': 'application/json' },
            }),
            lambdaContext('bench', 30_000),
          );
          if (answer.statusCode !== 200)
            throw new Error(`ingest answered ${answer.statusCode}: ${answer.body}`);
        }
        const records = pair.map((fields) => {
          const { body, groupId, deduplicationId } = prepareMessage(
            parseCallback(fields).callback,
            Date.now(),
          );
          return sqsFifoRecord({ body, groupId, deduplicationId });
        });
        const response = await consumer({ Records: records }, lambdaContext('bench', 30_000));
        if (response.batchItemFailures.length > 0) throw new Error('the consumer reported failures');
      }
    }
  });
  ingestClient.destroy();
  consumerClient.destroy();
  const callbacks = tasks * 2;
  return {
    ingest: perCallback(counts.ingest, callbacks),
    consumer: perCallback(counts.consumer, callbacks),
    ingestAgain: perCallback(counts.ingestAgain, callbacks),
    consumerAgain: perCallback(counts.consumerAgain, callbacks),
    callbacks,
  };
}
