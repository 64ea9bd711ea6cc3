/**
 * `npm run bench:scale`: the scheduled check at two sizes of the tasks table. For each size, a
 * DynamoDB Local of its own (in memory) is seeded with that many running tasks, every one due for
 * the check, and as many stopped ones; the orphans function, as `serverless package` builds it,
 * runs once in a child `node` whose heap limit is the function's memorySize; its peak memory and
 * duration are printed. The figure is peak memory, large over small (target: at most 1.3x). On the
 * large table, `zego tasks --status running` is timed too, in this process.
 *
 * With `--compare DIR`, another checkout of the project (a git worktree of an older commit, its
 * node_modules linked) is measured the same way, with its own store, tables, function and CLI,
 * and shown beside this tree.
 */
import '../tools/local-stack/quiet-sdk-warning';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DescribeTableCommand, DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { parseArgsProblem } from '../tools/local-stack/command-line';
import { LOCAL_REGION, localCredentials, startDynamoEngine } from '../tools/local-stack/engines';
import type { PipelineInfo } from '../tools/local-stack/pipeline';
import { runCheck } from './scale-check';
import { type Checkout, loadCheckout, packageOrphans } from './scale-checkout';
import {
  type CheckoutResult,
  checkTable,
  cliTable,
  MEMORY_RATIO_TARGET,
  memoryRatio,
  ratioTable,
  type SizeResult,
  withScaleBlock,
} from './scale-report';
import { checkSeed, type SeedPlan, seedTasks } from './scale-seed';

const HELP = `Usage: npm run bench:scale -- [--small N] [--large N] [--stopped R] [--compare DIR] [--timeout S]
                               [--skip-cli] [--out FILE]

Seeds DynamoDB Local with N running tasks (all due for the scheduled check, 10% of them orphaned)
and R times as many stopped ones, runs the orphans function as packaged, once, with its memorySize
as its heap limit, and prints its peak memory and duration at both sizes (the figure: peak memory,
large over small, at most ${MEMORY_RATIO_TARGET}x), and the time of \`zego tasks --status running\` on the large table.
Needs java (DynamoDB Local) and unzip.

  --small N        running tasks in the small table (default 10000)
  --large N        running tasks in the large table (default 100000)
  --stopped R      stopped tasks per running task (default 1)
  --compare DIR    also measure the checkout in DIR (e.g. \`git worktree add /tmp/old <commit>\`
                   with node_modules linked), with its own store, tables, function and CLI
  --timeout S      the invocation's deadline in seconds instead of the function's timeout (to see
                   how far a run gets on this slower engine, or its memory when it reads everything)
  --skip-cli       do not time \`zego tasks\` (a CLI that scans the whole table takes minutes)
  --out FILE       write the figures into FILE's scale block (BENCHMARKS.md); printed only without`;

function options() {
  try {
    return parseArgs({
      options: {
        small: { type: 'string', default: '10000' },
        large: { type: 'string', default: '100000' },
        stopped: { type: 'string', default: '1' },
        compare: { type: 'string' },
        timeout: { type: 'string' },
        'skip-cli': { type: 'boolean', default: false },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (error) {
    console.error(`bench:scale: ${parseArgsProblem(error as Error)}; see --help`);
    process.exit(2);
  }
}

const flags = options();
if (flags.help) {
  console.log(HELP);
  process.exit(0);
}
const SMALL = Number(flags.small);
const LARGE = Number(flags.large);
const STOPPED = Number(flags.stopped);
const TIMEOUT = flags.timeout === undefined ? undefined : Number(flags.timeout);
const sizesOk = [SMALL, LARGE].every((n) => Number.isInteger(n) && n > 0) && LARGE > SMALL;
if (!sizesOk || !(STOPPED >= 0) || (TIMEOUT !== undefined && !(TIMEOUT > 0))) {
  console.error(
    'bench:scale: --small and --large must be whole numbers above 0, --large the larger; --stopped 0 or more; --timeout above 0',
  );
  process.exit(2);
}

/** Of the running tasks, this share started more than ORPHAN_AFTER_MINUTES ago, not reported yet. */
const ORPHANED_SHARE = 0.1;

const step = (what: string) => console.error(`bench:scale: ${what}`);
const aws = { region: LOCAL_REGION, credentials: localCredentials };

/** What the orphans function reads on Lambda: its environment from serverless.yml, and the SDK's. */
function lambdaEnvironment(checkout: Checkout, orphansEnv: Record<string, string>, endpoint: string) {
  return {
    PATH: process.env.PATH,
    ...orphansEnv,
    AWS_REGION: aws.region,
    AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    AWS_LAMBDA_FUNCTION_NAME: 'zego-mix-callbacks-bench-orphans',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(checkout.orphans.memoryMb),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

async function measureSize(checkout: Checkout, bundle: string, running: number, withCli: boolean) {
  const engine = await startDynamoEngine('dynamodb-local');
  const client = new DynamoDBClient({ ...aws, endpoint: engine.endpoint, maxAttempts: 5 });
  try {
    const tables = await checkout.createTables(client, 'scale-');
    const tableName = tables.TasksTable;
    if (!tableName) throw new Error(`${checkout.root}/serverless.yml has no TasksTable`);
    // Reconciliation stays off (serverless.yml's default: no ServerSecret parameter); the queue is
    // never written to and needs no engine.
    const queueUrl = 'http://127.0.0.1:9/000000000000/bench-callbacks.fifo';
    const local = { ...tables, CallbackQueue: queueUrl, CallbackDeadLetterQueue: queueUrl };
    const orphansEnv = checkout.functionEnvironment('orphans', local);
    const consumerEnv = checkout.functionEnvironment('consumer', local);
    const settings = {
      stoppedRetentionSeconds: Number(consumerEnv.TASK_RETENTION_DAYS || 90) * 86_400,
      firstCheckAfterSeconds: Number(consumerEnv.RECONCILE_AFTER_MINUTES || 10) * 60,
    };
    const plan: SeedPlan = {
      running,
      stopped: Math.round(running * STOPPED),
      orphanedShare: ORPHANED_SHARE,
      orphanAfterSeconds: Number(orphansEnv.ORPHAN_AFTER_MINUTES || 240) * 60,
      nowMs: Date.now(),
    };
    const checked = await checkSeed(checkout, plan, { tableName, client, settings });
    step(`${checkout.label}: ${checked} tasks written by the store itself match the seed's items`);
    const seeding = performance.now();
    const written = await seedTasks(checkout, plan, { tableName, client, settings });
    const seedSeconds = (performance.now() - seeding) / 1000;
    step(`${checkout.label}: seeded ${written} tasks in ${seedSeconds.toFixed(0)} s`);

    await warmEngine(client, tableName);
    step(`${checkout.label}: the scheduled check on ${running} running tasks`);
    const check = await runCheck({
      bundle,
      env: lambdaEnvironment(checkout, orphansEnv, engine.endpoint),
      ...checkout.orphans,
    });
    const seen = check.summary?.visited ?? check.summary?.running;
    step(
      `${checkout.label}: ${check.outcome}, ${(check.invokeMs / 1000).toFixed(1)} s, peak RSS ${check.maxRssMb.toFixed(0)} MB, heap ${check.peakHeapMb.toFixed(0)} MB, looked at ${seen ?? '?'}, deferred ${check.metrics.CheckDeferred ?? '?'}${check.error ? `: ${check.error}` : ''}`,
    );
    const result: SizeResult = { running, stopped: plan.stopped, check };
    if (withCli) {
      step(`${checkout.label}: zego tasks --status running`);
      result.cli = await timeCli(checkout, { ...aws, endpoint: engine.endpoint, tableName });
    }
    return result;
  } finally {
    client.destroy();
    await engine.stop(); // a child process: never leave it running
  }
}

/**
 * Reads a few pages of the table and of each of its indexes, so that the check meets an engine
 * that has served reads before, as DynamoDB on AWS always has: a DynamoDB Local whose JVM had only
 * taken the seed's writes answered slowly at first (one run's check failed within 5 s, its first 32
 * queries asked at once against the client's 2 s requestTimeout). Bounded: a whole Scan of a large
 * table takes DynamoDB Local many minutes.
 */
async function warmEngine(client: DynamoDBClient, TableName: string): Promise<void> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName }));
  const indexes = (Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName);
  for (const IndexName of [undefined, ...indexes]) {
    let pages = 0;
    for await (const _ of paginateScan({ client, pageSize: 1_000 }, { TableName, IndexName })) {
      if (++pages === 3) break;
    }
  }
}

/**
 * `zego tasks --status running` as the CLI runs it, in this process, against the engine (the CLI
 * finds it through a state file, as it finds `npm start`'s): its first page, and every running task
 * (`--limit 0`; a CLI without the option lists everything at once and has no such figure).
 */
async function timeCli(
  checkout: Checkout,
  { region, endpoint, tableName }: { region: string; endpoint: string; tableName: string },
): Promise<SizeResult['cli']> {
  const dir = mkdtempSync(join(tmpdir(), 'zego-scale-cli-'));
  const state = join(dir, 'stack.json');
  const none = 'http://127.0.0.1:9';
  const info: PipelineInfo = {
    callbackUrl: none,
    region,
    sqsEndpoint: none,
    dynamoEndpoint: endpoint,
    queueUrl: none,
    deadLetterQueueUrl: none,
    refusedQueueUrl: none,
    tasksTable: tableName,
    idempotencyTable: tableName,
    signaturesTable: tableName,
    secret: 'bench-secret-not-real',
  };
  writeFileSync(state, JSON.stringify(info));
  const saved = { state: process.env.ZEGO_LOCAL_STATE, log: console.log };
  process.env.ZEGO_LOCAL_STATE = state;
  console.log = () => {}; // the listing is formatted, not printed
  const timed = async (args: string[]) => {
    const started = performance.now();
    await checkout.tasksCommand(args);
    return performance.now() - started;
  };
  try {
    const firstPageMs = await timed(['--status', 'running']);
    step(`${checkout.label}: first page in ${(firstPageMs / 1000).toFixed(1)} s`);
    let wholeMs: number | undefined;
    try {
      wholeMs = await timed(['--status', 'running', '--limit', '0']);
    } catch (error) {
      if (!/limit/.test((error as Error).message)) throw error;
    }
    return { firstPageMs, wholeMs };
  } finally {
    console.log = saved.log;
    if (saved.state === undefined) delete process.env.ZEGO_LOCAL_STATE;
    else process.env.ZEGO_LOCAL_STATE = saved.state;
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measureCheckout(root: string, name: (checkout: Checkout) => string): Promise<CheckoutResult> {
  const loaded = await loadCheckout(root);
  const checkout = {
    ...loaded,
    orphans: { ...loaded.orphans, timeoutSeconds: TIMEOUT ?? loaded.orphans.timeoutSeconds },
  };
  step(
    `${checkout.label}: packaging the orphans function (${checkout.orphans.memoryMb} MB, ${checkout.orphans.timeoutSeconds} s)`,
  );
  const { bundle, dir } = packageOrphans(checkout);
  try {
    const small = await measureSize(checkout, bundle, SMALL, false);
    const large = await measureSize(checkout, bundle, LARGE, !flags['skip-cli']);
    return { name: name(checkout), ...checkout.orphans, small, large };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const results = [await measureCheckout(join(__dirname, '..'), (c) => `this tree (${c.label})`)];
  if (flags.compare) results.push(await measureCheckout(flags.compare, (c) => c.label));

  const cpu = cpus();
  const machine = `${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; DynamoDB Local (Java, its own process, in memory)`;
  const [current] = results;
  const figures = [
    `Measured by \`npm run bench:scale\` on ${new Date().toISOString().slice(0, 10)}: ${machine}.`,
    `Running tasks ${SMALL.toLocaleString('en-US')} and ${LARGE.toLocaleString('en-US')}, ${ORPHANED_SHARE * 100}% of them orphaned, with ${STOPPED} stopped task(s) per running one; the orphans function as packaged, \`node --max-old-space-size=${current?.memoryMb}\` (its memorySize), invoked once with ${TIMEOUT === undefined ? 'its timeout as the deadline' : `a deadline of ${TIMEOUT} s instead of its timeout (--timeout)`}; reconciliation off.`,
    '',
    checkTable(results),
    '',
    ratioTable(results),
    '',
    cliTable(results),
  ].join('\n');
  console.log(`\n${figures}\n`);
  if (flags.out) {
    writeFileSync(flags.out, withScaleBlock(readFileSync(flags.out, 'utf8'), figures));
    step(`wrote ${flags.out}`);
  }
  const ratio = current && memoryRatio(current);
  console.log(
    `peak memory, large over small: ${ratio === undefined ? 'not measured (a run did not complete)' : `${ratio.toFixed(3)}x`} (target <= ${MEMORY_RATIO_TARGET}x)`,
  );
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
