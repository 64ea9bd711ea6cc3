/**
 * Ingest's latency per callback, p50 and p99, with the signature binding (a conditional PutItem on
 * the stack's DynamoDB engine) and without it, in alternating rounds against the same SQS engine,
 * one callback at a time. The difference is what one use per signature costs on ingest's path.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { receiveCallback } from '../lib/ingest/receive-callback';
import { dynamoSignatureBindings } from '../lib/ingest/signature-bindings';
import { createMetrics } from '../lib/metrics';
import { sqsKeepRefused } from '../lib/queue/keep-refused';
import { parseSecretBook, staticSecretSource } from '../lib/zego/secrets';
import { percentile, quietly } from '../tools/measure';
import { encodeCallback } from '../tools/zego-fake/callbacks';
import { BENCH_SECRET, benchCallback } from './fixtures';
import type { BenchStack } from './stack';

const ROUNDS = 10;

export interface Latency {
  p50: number;
  p99: number;
}

export async function measureIngestLatency(
  stack: BenchStack,
  requests: number,
): Promise<{ withBinding: Latency; withoutBinding: Latency }> {
  const deps = {
    queueUrl: stack.queue.url,
    secrets: staticSecretSource(parseSecretBook(BENCH_SECRET, { allowAnyApp: true })),
    maxClockSkewSeconds: 300,
    enqueueTimeoutMs: 3_000,
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics: createMetrics('ingest', 'test'),
    sqs: stack.sqs,
    keepRefused: sqsKeepRefused({ queueUrl: stack.queue.url, sqs: stack.sqs }),
  };
  const variants = {
    withBinding: dynamoSignatureBindings({ tableName: stack.tables.signatures, client: stack.dynamo }),
    withoutBinding: async () => {},
  };
  const latencies = { withBinding: [] as number[], withoutBinding: [] as number[] };
  await quietly(async () => {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, bindSignature] of Object.entries(variants) as [
        keyof typeof variants,
        () => Promise<void>,
      ][]) {
        for (let i = 0; i < requests / (2 * ROUNDS); i++) {
          const event = { body: encodeCallback(benchCallback(), 'json').body, isBase64Encoded: false };
          const started = performance.now();
          const result = await receiveCallback(event, { ...deps, bindSignature });
          latencies[name].push(performance.now() - started);
          if (result.statusCode !== 200)
            throw new Error(`ingest answered ${result.statusCode}: ${result.body}`);
        }
      }
    }
  });
  const summary = (values: number[]) => ({ p50: percentile(values, 50), p99: percentile(values, 99) });
  return { withBinding: summary(latencies.withBinding), withoutBinding: summary(latencies.withoutBinding) };
}
