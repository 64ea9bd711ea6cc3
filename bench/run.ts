/**
 * `npm run bench`: sizes, cold starts and throughput of the deployed bundles, ingest's latency with
 * and without the signature binding, DynamoDB requests per callback and the cost of decoding hostile
 * bodies, each against a floor measured in the same run (ratios, not absolute times: the machines
 * are shared). Prints the figures; with --out, writes them into that file from
 * bench/BENCHMARKS.template.md (`--out BENCHMARKS.md` records them in the repository).
 *
 *   npm run bench -- [--runs 15] [--requests 2000] [--concurrency 16] [--out BENCHMARKS.md]
 */
import '../tools/local-stack/quiet-sdk-warning';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildBundles, bundleParts, bundleSize, FLOORS } from './bundles';
import { measureColdStarts } from './cold-starts';
import { measureDecodeCost } from './decode-cost';
import { countDynamoOperations } from './dynamodb-operations';
import { benchApiEvent, benchSqsEvent } from './fixtures';
import { measureIngestLatency } from './ingest-latency';
import {
  bundlePartsTable,
  coldStartDetail,
  decodeCostTable,
  fill,
  guaranteeTable,
  met,
  operationsTable,
  type Results,
  reachable,
  rows,
  table,
} from './report';
import { scaleBlock } from './scale-report';
import { startBenchStack } from './stack';
import { measureConsumerThroughput, measureIngestThroughput } from './throughput';

const USAGE = `Usage: npm run bench -- [--runs 15] [--requests 2000] [--concurrency 16] [--out FILE]

Measures the deployed bundles against floors measured in the same run and prints the figures.
--out FILE also writes them into FILE from bench/BENCHMARKS.template.md; \`--out BENCHMARKS.md\`
records them in the repository's BENCHMARKS.md (keeping its scale block).`;

function readFlags() {
  try {
    return parseArgs({
      options: {
        runs: { type: 'string', default: '15' },
        requests: { type: 'string', default: '2000' },
        concurrency: { type: 'string', default: '16' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    console.error(`bench: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
}

const flags = readFlags();
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}
const RUNS = Number(flags.runs);
const REQUESTS = Number(flags.requests);
const CONCURRENCY = Number(flags.concurrency);
if (![RUNS, REQUESTS, CONCURRENCY].every((n) => Number.isInteger(n) && n > 0) || REQUESTS % 20 !== 0) {
  console.error('bench: --runs and --concurrency must be whole numbers above 0, --requests a multiple of 20');
  process.exit(2);
}

async function main() {
  const step = (what: string) => console.error(`bench: ${what}`);
  step('packaging the functions and building the floors');
  const bundles = await buildBundles();
  const stack = await startBenchStack();
  try {
    step(`cold starts, ${RUNS} runs`);
    const api = { event: benchApiEvent };
    const batch = { event: () => benchSqsEvent(1) };
    const cold = await measureColdStarts(
      {
        ingest: { bundle: bundles.ingest, ...api },
        ingestDeployed: { bundle: bundles.ingest, ...api, env: stack.deployedSecretEnv },
        sendMessage: { bundle: bundles.floors.sendMessage, ...api },
        bindAndSend: { bundle: bundles.floors.bindAndSend, ...api },
        deployedIngestFloor: { bundle: bundles.floors.deployedIngest, ...api, env: stack.deployedSecretEnv },
        consumer: { bundle: bundles.consumer, ...batch },
        bareConsumer: { bundle: bundles.floors.consumer, ...batch },
        idempotentConsumer: { bundle: bundles.floors.idempotentConsumer, ...batch },
      },
      stack.env,
      RUNS,
    );
    step(`throughput, ${REQUESTS} callbacks a side`);
    const ingest = await measureIngestThroughput(bundles, stack, REQUESTS, CONCURRENCY);
    const consumer = await measureConsumerThroughput(bundles, stack, REQUESTS);
    step('ingest latency with and without the signature binding');
    const latency = await measureIngestLatency(stack, REQUESTS);
    step('DynamoDB requests per callback');
    const operations = await countDynamoOperations(stack);
    step('decoding hostile bodies');
    const decodeCost = measureDecodeCost();
    const parts: Results['parts'] = [];
    const partsOf: [label: string, entry: string][] = [
      ['ingest', 'functions/ingest.ts'],
      ['floor: SSM GetParameter + PutItem + SendMessage', `bench/floors/${FLOORS.deployedIngest}.ts`],
      ['floor: SendMessage', `bench/floors/${FLOORS.sendMessage}.ts`],
      ['consumer', 'functions/consumer.ts'],
      ['floor: claim, task, completion', `bench/floors/${FLOORS.idempotentConsumer}.ts`],
      ['floor: bare consumer', `bench/floors/${FLOORS.consumer}.ts`],
    ];
    for (const [label, entry] of partsOf) {
      parts.push({ label, ...(await bundleParts(entry)) });
    }

    const results: Results = {
      runs: RUNS,
      requests: REQUESTS,
      concurrency: CONCURRENCY,
      sizes: {
        ingest: bundleSize(bundles.ingest),
        consumer: bundleSize(bundles.consumer),
        sendMessage: bundleSize(bundles.floors.sendMessage),
        bindAndSend: bundleSize(bundles.floors.bindAndSend),
        deployedIngest: bundleSize(bundles.floors.deployedIngest),
        bareConsumer: bundleSize(bundles.floors.consumer),
        idempotentConsumer: bundleSize(bundles.floors.idempotentConsumer),
      },
      cold,
      ingest,
      consumer,
      latency,
      operations,
      parts,
      decodeCost,
    };
    const cpu = cpus();
    const machine = `${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; SQS: fauxqs in this process; DynamoDB: ${stack.dynamoKind === 'dynalite' ? 'dynalite in this process' : 'DynamoDB Local (Java, its own process)'}`;
    const all = rows(results);
    const values = {
      date: new Date().toISOString().slice(0, 10),
      machine,
      table: table(all),
      guarantees: guaranteeTable(results),
      coldStarts: coldStartDetail(results),
      bundleParts: bundlePartsTable(results),
      operations: operationsTable(results),
      decodeCost: decodeCostTable(decodeCost),
      // `npm run bench:scale -- --out BENCHMARKS.md` writes this block; kept as it stands.
      scale: scaleBlock(flags.out && existsSync(flags.out) ? readFileSync(flags.out, 'utf8') : ''),
    };
    console.log(
      `\n${machine}\n\n${values.table}\n\n${values.guarantees}\n\n${values.coldStarts}\n\n${values.bundleParts}\n\n${values.operations}\n\n${values.decodeCost}\n`,
    );
    const missed = all.filter((row) => met(row) === false);
    const outOfReach = missed.filter((row) => reachable(row) === false).length;
    console.log(
      `targets: ${all.filter((row) => met(row) !== undefined).length - missed.length} met, ${missed.length} not met (${outOfReach} of them out of reach while the guarantees stand)`,
    );
    if (flags.out) {
      const template = readFileSync(join(__dirname, 'BENCHMARKS.template.md'), 'utf8');
      writeFileSync(flags.out, fill(template, values));
      console.error(`bench: wrote ${flags.out}`);
    } else {
      console.error('bench: nothing written; `--out BENCHMARKS.md` records these figures there');
    }
  } finally {
    await stack.stop(); // DynamoDB Local is a child process: never leave it running
  }
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
