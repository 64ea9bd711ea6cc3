/**
 * `npm run bench`: sizes, cold starts and throughput of the deployed bundles, each against a
 * baseline measured in the same run (ratios, not absolute times: the machines are shared).
 * Prints a table and writes BENCHMARKS.md.
 */
import '../tools/local-stack/quiet-sdk-warning';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { build } from 'esbuild';
import { toQueuedCallback } from '../lib/queue/message';
import { deduplicationId, messageGroupId } from '../lib/queue/message-ids';
import { parseCallback } from '../lib/zego/callback-schema';
import { signCallback } from '../lib/zego/signature';
import {
  LOCAL_REGION,
  localCredentials,
  startDynamoEngine,
  startSqsEngine,
} from '../tools/local-stack/engines';
import { lambdaContext } from '../tools/local-stack/lambda-context';
import { createQueues, createTables } from '../tools/local-stack/stack-resources';
import { interleavedRates, median, timeProcess } from './measure';

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    requests: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '16' },
    out: { type: 'string', default: join(__dirname, '..', 'BENCHMARKS.md') },
  },
});
const RUNS = Number(flags.runs);
const REQUESTS = Number(flags.requests);
const CONCURRENCY = Number(flags.concurrency);
const SECRET = 'bench-secret-not-real';
const root = join(__dirname, '..');

let seq = Date.now();
function callbackFields(event: 'mix_stop' | 'mix_start' = 'mix_stop') {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = String(7_000_000_000_000_000_000n + BigInt(++seq));
  const fields: Record<string, string> = {
    appid: '111111',
    event,
    seq: String(seq),
    task_id: `bench-${seq}`,
    channel_id: 'room-1',
    publish_id: 'user-1',
    mix_url: 'rtmp://publish.example.invalid/live/bench',
    mix_stream_alias: 'bench',
    timestamp,
    nonce,
  };
  fields.signature = signCallback(SECRET, { timestamp, nonce });
  return fields;
}

const apiEvent = () => ({
  version: '2.0',
  routeKey: 'POST /zego/callback',
  rawPath: '/zego/callback',
  rawQueryString: '',
  headers: { 'content-type': 'application/json' },
  requestContext: {
    http: { method: 'POST', path: '/zego/callback', sourceIp: '127.0.0.1' },
    requestId: 'bench',
  },
  body: JSON.stringify(callbackFields()),
  isBase64Encoded: false,
});

function sqsRecord(queueArn: string) {
  const { callback } = parseCallback(callbackFields());
  return {
    messageId: `m-${seq}`,
    receiptHandle: 'r',
    body: JSON.stringify(toQueuedCallback(callback, Date.now())),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'bench',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
      MessageGroupId: messageGroupId(callback),
      MessageDeduplicationId: deduplicationId(callback),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: LOCAL_REGION,
  };
}

/** A fresh node process that loads the bundle and answers one event, as a cold Lambda does. */
const INVOKE_ONCE = `
const { handler } = require(process.env.BENCH_BUNDLE);
const context = { functionName: 'bench', awsRequestId: 'cold', getRemainingTimeInMillis: () => 30000 };
handler(JSON.parse(process.env.BENCH_EVENT), context).then((r) => {
  const ok = r.statusCode === 200 || (Array.isArray(r.batchItemFailures) && r.batchItemFailures.length === 0);
  process.exit(ok ? 0 : 1);
}, () => process.exit(2));`;

async function main() {
  // 1. The bundles exactly as deployed.
  const packageDir = mkdtempSync(join(tmpdir(), 'zego-bench-'));
  execFileSync('npx', ['serverless', 'package', '--stage', 'bench', '--package', packageDir], {
    cwd: root,
    stdio: 'ignore',
  });
  const bundles: Record<string, string> = {};
  for (const fn of ['ingest', 'consumer']) {
    const dir = join(packageDir, fn);
    execFileSync('unzip', ['-q', '-o', join(packageDir, `${fn}.zip`), '-d', dir]);
    bundles[fn] = join(dir, 'functions', `${fn}.js`);
  }
  // The floor: a bare SendMessage handler, bundled with the settings of serverless.yml.
  bundles.floor = join(packageDir, 'floor', 'floor.js');
  await build({
    entryPoints: [join(__dirname, 'floor-handler.ts')],
    outfile: bundles.floor,
    bundle: true,
    minify: true,
    treeShaking: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    mainFields: ['module', 'main'],
    logLevel: 'silent',
  });
  const size = (file: string) => ({ bytes: statSync(file).size, gzip: gzipSync(readFileSync(file)).length });

  // 2. Local engines, the stack's queues and tables.
  const sqsEngine = await startSqsEngine();
  // DynamoDB Local runs in its own (Java) process, as DynamoDB runs elsewhere; dynalite would share
  // this process's CPU with the code being measured.
  const dynamoKind = hasJava() ? 'dynamodb-local' : 'dynalite';
  const dynamoEngine = await startDynamoEngine(dynamoKind);
  const aws = { region: LOCAL_REGION, credentials: localCredentials };
  const sqs = new SQSClient({
    ...aws,
    endpoint: sqsEngine.endpoint,
    useQueueUrlAsEndpoint: false,
    maxAttempts: 3,
  });
  const dynamo = new DynamoDBClient({ ...aws, endpoint: dynamoEngine.endpoint, maxAttempts: 5 });
  const queues = await createQueues(sqs, 'bench-');
  const tables = await createTables(dynamo, 'bench-');
  const queue = queues.CallbackQueue;
  const deadLetterQueue = queues.CallbackDeadLetterQueue;
  if (!queue || !deadLetterQueue || !tables.TasksTable || !tables.IdempotencyTable || !tables.SignaturesTable)
    throw new Error('stack lacks a queue or table');
  const env = {
    ...process.env,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
    AWS_ENDPOINT_URL_SQS: sqsEngine.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEngine.endpoint,
    QUEUE_URL: queue.url,
    DEAD_LETTER_QUEUE_URL: deadLetterQueue.url,
    TASKS_TABLE: tables.TasksTable,
    IDEMPOTENCY_TABLE: tables.IdempotencyTable,
    SIGNATURES_TABLE: tables.SignaturesTable,
    ZEGO_CALLBACK_SECRET: SECRET,
    POWERTOOLS_LOG_LEVEL: 'INFO',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };

  // 3. Cold starts, interleaved with the baseline so drift hits both alike.
  const cold: Record<string, { plain: number[]; load: number[]; invoke: number[]; invokeMaps: number[] }> =
    {};
  for (const fn of ['ingest', 'consumer', 'floor'] as const) {
    const times = {
      plain: [] as number[],
      load: [] as number[],
      invoke: [] as number[],
      invokeMaps: [] as number[],
    };
    const bundle = bundles[fn] as string;
    for (let run = 0; run < RUNS; run++) {
      const event = JSON.stringify(fn === 'consumer' ? { Records: [sqsRecord(queue.arn)] } : apiEvent());
      times.plain.push(await timeProcess(['-e', '0'], env));
      times.load.push(await timeProcess(['-e', `require(${JSON.stringify(bundle)})`], env));
      times.invoke.push(
        await timeProcess(['-e', INVOKE_ONCE], { ...env, BENCH_BUNDLE: bundle, BENCH_EVENT: event }),
      );
      const again = JSON.stringify(fn === 'consumer' ? { Records: [sqsRecord(queue.arn)] } : apiEvent());
      times.invokeMaps.push(
        await timeProcess(['-e', INVOKE_ONCE], {
          ...env,
          BENCH_BUNDLE: bundle,
          BENCH_EVENT: again,
          NODE_OPTIONS: '--enable-source-maps',
        }),
      );
    }
    cold[fn] = times;
  }

  // 4. Throughput, in this process, logs formatted but not written.
  Object.assign(process.env, env);
  const write = process.stdout.write.bind(process.stdout);
  const quiet = () => (process.stdout.write = (() => true) as typeof process.stdout.write);
  const loud = () => (process.stdout.write = write);
  const ingest = require(bundles.ingest as string).handler;
  const consumer = require(bundles.consumer as string).handler;
  const context = lambdaContext('bench', 30_000);

  quiet();
  const ingestEvents = Array.from({ length: REQUESTS }, apiEvent);
  const rawBodies = Array.from({ length: REQUESTS }, () => {
    const { callback } = parseCallback(callbackFields());
    return {
      body: JSON.stringify(toQueuedCallback(callback, Date.now())),
      dedup: deduplicationId(callback),
      group: messageGroupId(callback),
    };
  });
  const ROUNDS = 10;
  const [rawSend, ingestRate] = await interleavedRates(
    ROUNDS,
    REQUESTS / ROUNDS,
    CONCURRENCY,
    async (i) => {
      const item = rawBodies[i];
      if (!item) return;
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queue.url,
          MessageBody: item.body,
          MessageDeduplicationId: item.dedup,
          MessageGroupId: item.group,
        }),
      );
    },
    async (i) => {
      const result = await ingest(ingestEvents[i], context);
      if (result.statusCode !== 200) throw new Error(`ingest answered ${result.statusCode}: ${result.body}`);
    },
  );

  // One Lambda instance: batches one after another; the raw loop puts one item at a time.
  const documents = DynamoDBDocumentClient.from(dynamo);
  const batches = Array.from({ length: REQUESTS / 10 }, () => ({
    Records: Array.from({ length: 10 }, () => sqsRecord(queue.arn)),
  }));
  let batchIndex = 0;
  const [rawPut, batchRate] = await interleavedRates(
    ROUNDS,
    REQUESTS / ROUNDS,
    1,
    async (i) => {
      await documents.send(
        new UpdateCommand({
          TableName: tables.TasksTable,
          Key: { appid: 'raw', task_id: `raw-${i}` },
          UpdateExpression: 'SET #status = :status, #seq = :seq',
          ConditionExpression: 'attribute_not_exists(#seq) OR #seq < :seq',
          ExpressionAttributeNames: { '#status': 'status', '#seq': 'seq' },
          ExpressionAttributeValues: { ':status': 'stopped', ':seq': i },
        }),
      );
    },
    async (i) => {
      // Every tenth call runs a batch of ten, so both sides count callbacks.
      if (i % 10 !== 0) return;
      const response = await consumer(batches[batchIndex++], context);
      if (response.batchItemFailures.length > 0) throw new Error('consumer reported failures');
    },
  );
  const consumerRate = batchRate;
  loud();

  // 5. Report.
  const ingestSize = size(bundles.ingest as string);
  const consumerSize = size(bundles.consumer as string);
  const floorSize = size(bundles.floor as string);
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
  const ms = (values: number[]) => `${median(values).toFixed(0)} ms`;
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  const rows: [string, string, string, string][] = [
    [
      'ingest bundle (minified)',
      `${kb(ingestSize.bytes)} (${kb(ingestSize.gzip)} gzip)`,
      '<= 300 KB',
      ingestSize.bytes <= 300 * 1024 ? 'met' : 'not met',
    ],
    ['consumer bundle (minified)', `${kb(consumerSize.bytes)} (${kb(consumerSize.gzip)} gzip)`, '', ''],
    [
      'reference: a bare SendMessage handler (bench/floor-handler.ts)',
      `${kb(floorSize.bytes)} (${kb(floorSize.gzip)} gzip)`,
      '',
      '',
    ],
  ];
  for (const fn of ['ingest', 'consumer', 'floor'] as const) {
    const t = cold[fn];
    if (!t) continue;
    const r = median(t.invoke) / median(t.plain);
    rows.push([
      `${fn === 'floor' ? 'reference: bare SendMessage handler' : fn} cold start: load + answer one event, median of ${RUNS}`,
      `${ms(t.invoke)} vs ${ms(t.plain)} for node -e 0: ${r.toFixed(2)}x (load only ${ratio(median(t.load), median(t.plain))}; with --enable-source-maps ${ratio(median(t.invokeMaps), median(t.plain))})`,
      fn === 'ingest' ? '<= 1.35x' : '',
      fn === 'ingest' ? (r <= 1.35 ? 'met' : 'not met') : '',
    ]);
  }
  rows.push([
    `ingest throughput, ${REQUESTS} callbacks, ${CONCURRENCY} in flight`,
    `${ingestRate.toFixed(0)}/s vs ${rawSend.toFixed(0)}/s raw SendMessage: ${ratio(ingestRate, rawSend)}`,
    '>= 0.9x',
    ingestRate / rawSend >= 0.9 ? 'met' : 'not met',
  ]);
  rows.push([
    `consumer throughput, ${REQUESTS} callbacks in batches of 10, one instance`,
    `${consumerRate.toFixed(0)}/s vs ${rawPut.toFixed(0)}/s raw conditional puts: ${ratio(consumerRate, rawPut)}`,
    '>= 0.6x',
    consumerRate / rawPut >= 0.6 ? 'met' : 'not met',
  ]);

  const cpu = cpus();
  const machine = `${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; SQS: fauxqs in this process; DynamoDB: ${dynamoKind === 'dynalite' ? 'dynalite in this process' : 'DynamoDB Local (Java, its own process)'}`;
  const table = [
    '| measure | result | target | |',
    '|---|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
  console.log(`\n${machine}\n\n${table}\n`);
  writeFileSync(
    flags.out,
    `# Benchmarks\n\nMeasured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${machine}.\n\n${table}\n${NOTES}`,
  );

  sqs.destroy();
  dynamo.destroy();
  await sqsEngine.stop();
  await dynamoEngine.stop();
  process.exit(0);
}

const NOTES = `
## Reading the figures

- Every ratio compares two things measured in the same run, interleaved, on a shared 2-core
  machine: trust ratios over absolute times, and expect a few tenths of noise between runs.
- Cold start is a fresh \`node\` process that loads the bundle and answers one event (the ingest
  function queues a callback on the local SQS engine), against \`node -e 0\`. Lambda's own runtime
  start-up comes on top of both.
- **Bundle size and cold start targets (300 KB, 1.35x) are below what the AWS SDK v3 allows when
  bundled**: the reference row, a handler that does nothing but one SendMessage, bundled the same
  way, is already over 300 KB and well over 1.35x. The ingest function adds zod, the signature
  check, Powertools Logger and the SSM client for the secret. Not bundling the SDK (using the
  runtime's copy) would shrink the zip but load the same code from the runtime's node_modules,
  unminified, and give up pinned SDK versions; we chose pinned versions.
- \`--enable-source-maps\` costs a further few tenths on every cold start, so it is off by default
  (\`nodeOptions\` stage parameter); the maps ship in the zip for decoding stack traces.
- Throughput sides run in alternating rounds. Here the engines and the code share two cores, so
  the ratios measure CPU per callback rather than the network waits that dominate on AWS.
- Ingest throughput: the handler's own work (decode, validate, verify, build the message, log)
  measured about 23 µs a callback in isolation; the rest of the gap to a raw SendMessage loop is
  in the request path around it (middleware, the bundled SDK, and since metrics came in, two
  Embedded Metric Format lines per callback: the ratio was 0.80-0.84x before them). Handing the SDK
  an abort signal cost ~15% more, so the enqueue deadline is a plain timer instead.
- Consumer throughput: each callback costs three DynamoDB writes (claim the idempotency record,
  update the task, complete the record) against one for the raw loop; the consumer wins back time
  by processing the message groups of a batch concurrently (measured 144 -> 285 callbacks/s on
  dynalite when that came in). With dynalite in the benchmark's own process instead of DynamoDB
  Local, the engine's CPU is shared and the ratio falls further.

## Load run

\`npm run load\` (5,000 distinct callbacks, 20% sent twice, 32 in flight, through \`npm start\`)
prints accepted, rejected, lost, double-applied, throughput and acknowledgement latency, and
exits 1 if any callback was lost or applied twice. Its figures are not written here: run it.
`;

function hasJava(): boolean {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
