/**
 * `npx tsx bench/ingest-latency.ts`: ingest's latency per callback, p50 and p99, with the signature
 * binding (a conditional PutItem on DynamoDB Local) and without it, in alternating rounds against
 * the same local SQS engine. Prints the figures; the difference is what one use per signature costs.
 */
import '../tools/local-stack/quiet-sdk-warning';
import { parseArgs } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { receiveCallback } from '../lib/ingest/receive-callback';
import { dynamoSignatureBindings } from '../lib/ingest/signature-bindings';
import { createMetrics } from '../lib/metrics';
import { parseSecretBook, staticSecretSource } from '../lib/zego/secrets';
import {
  LOCAL_REGION,
  localCredentials,
  startDynamoEngine,
  startSqsEngine,
} from '../tools/local-stack/engines';
import { createQueues, createTables } from '../tools/local-stack/stack-resources';
import { buildCallback, encodeCallback } from '../tools/zego-fake/callbacks';
import { percentile } from './measure';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '2000' } } });
const REQUESTS = Number(values.requests);
const SECRET = 'bench-secret-not-real';

async function main() {
  const sqsEngine = await startSqsEngine();
  const dynamoEngine = await startDynamoEngine('dynamodb-local');
  const aws = { region: LOCAL_REGION, credentials: localCredentials };
  const sqs = new SQSClient({ ...aws, endpoint: sqsEngine.endpoint, useQueueUrlAsEndpoint: false });
  const dynamo = new DynamoDBClient({ ...aws, endpoint: dynamoEngine.endpoint, maxAttempts: 2 });
  const queues = await createQueues(sqs, 'lat-');
  const tables = await createTables(dynamo, 'lat-');
  const queueUrl = queues.CallbackQueue?.url ?? '';
  const deps = {
    queueUrl,
    secrets: staticSecretSource(parseSecretBook(SECRET, { allowAnyApp: true })),
    maxClockSkewSeconds: 300,
    enqueueTimeoutMs: 3_000,
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics: createMetrics('ingest'),
    sqs,
  };
  const variants = {
    'with the binding': dynamoSignatureBindings({ tableName: tables.SignaturesTable ?? '', client: dynamo }),
    'without it': async () => {},
  };
  const latencies: Record<string, number[]> = { 'with the binding': [], 'without it': [] };
  let seq = Date.now();
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write; // the metrics' lines
  for (let round = 0; round < 10; round++) {
    for (const [name, bindSignature] of Object.entries(variants)) {
      for (let i = 0; i < REQUESTS / 20; i++) {
        const fields = buildCallback({
          event: 'mix_stop',
          appid: '111111',
          taskId: `lat-${seq}`,
          seq: String(++seq),
          secret: SECRET,
        });
        const event = { body: encodeCallback(fields, 'json').body, isBase64Encoded: false };
        const started = performance.now();
        const result = await receiveCallback(event, { ...deps, bindSignature });
        latencies[name]?.push(performance.now() - started);
        if (result.statusCode !== 200) throw new Error(`answered ${result.statusCode}: ${result.body}`);
      }
    }
  }
  process.stdout.write = write;
  console.log(
    `ingest latency, ${REQUESTS / 2} callbacks each, one at a time, alternating rounds (fauxqs + DynamoDB Local):`,
  );
  for (const [name, values] of Object.entries(latencies)) {
    console.log(
      `  ${name.padEnd(18)} p50 ${percentile(values, 50).toFixed(2)} ms   p99 ${percentile(values, 99).toFixed(2)} ms`,
    );
  }
  sqs.destroy();
  dynamo.destroy();
  await sqsEngine.stop();
  await dynamoEngine.stop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
