/**
 * `npm start`: the whole pipeline on this machine, no AWS account, no Docker, no Java.
 * Ctrl-C stops everything.
 */
import '../tools/local-stack/check-node';
import '../tools/local-stack/quiet-sdk-warning';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { hooks } from '../lib/hooks';
import { LOCAL_DEV_SECRET, LOCAL_PORTS, LOCAL_STATE_FILE, localSecret } from '../tools/local-stack/defaults';
import { startLocalPipeline } from '../tools/local-stack/pipeline';
import { makeLogsReadable } from '../tools/local-stack/readable-logs';

const HELP = `Usage: npm start [-- options]

Runs the ZEGO callback pipeline locally: the callback endpoint (the real ingest handler), the
FIFO queue and its DLQ, the tables, and the real consumer, on in-process engines.

Options:
  --port N        HTTP port of the callback endpoint (env PORT, default ${LOCAL_PORTS.http})
  --sqs-port N    port of the SQS engine (env SQS_PORT, default ${LOCAL_PORTS.sqs})
  --dynamodb-port N  port of the DynamoDB engine (env DYNAMODB_PORT, default ${LOCAL_PORTS.dynamodb})
  --data DIR      keep the tables (tasks, idempotency) in DIR between runs; queues stay in memory
  --json-logs     print the handlers' JSON log lines as they are
  -h, --help      this text

Environment: ZEGO_CALLBACK_SECRET (default: a development secret, printed below).`;

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'sqs-port': { type: 'string' },
      'dynamodb-port': { type: 'string' },
      data: { type: 'string' },
      'json-logs': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const port = (flag: string | undefined, env: string | undefined, fallback: number) => {
    const text = flag ?? env ?? String(fallback);
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0 || value > 65_535) throw new Error(`not a port: ${text}`);
    return value;
  };
  const secret = localSecret();
  process.env.POWERTOOLS_LOG_LEVEL ??= 'INFO';
  if (!values['json-logs']) {
    makeLogsReadable(process.stdout);
    makeLogsReadable(process.stderr);
  }

  const pipeline = await startLocalPipeline({
    hooks,
    prefix: 'local-',
    port: port(values.port, process.env.PORT, LOCAL_PORTS.http),
    sqsPort: port(values['sqs-port'], process.env.SQS_PORT, LOCAL_PORTS.sqs),
    dynamoPort: port(values['dynamodb-port'], process.env.DYNAMODB_PORT, LOCAL_PORTS.dynamodb),
    dataDir: values.data,
    secret,
  });
  const { stop, stack: _stack, ...info } = pipeline;
  mkdirSync(dirname(LOCAL_STATE_FILE), { recursive: true });
  writeFileSync(LOCAL_STATE_FILE, `${JSON.stringify(info, null, 2)}\n`);

  console.log(`
ZEGO mix callbacks, running locally
  callback URL   ${info.callbackUrl}
  secret         ${secret === LOCAL_DEV_SECRET ? `${secret}  (development only; set ZEGO_CALLBACK_SECRET to change)` : '(from ZEGO_CALLBACK_SECRET)'}
  SQS            ${info.sqsEndpoint}   queue ${info.queueUrl}
  DynamoDB       ${info.dynamoEndpoint}   tables ${info.tasksTable}, ${info.idempotencyTable}${values.data ? ` (data in ${values.data})` : ''}

Send a test callback, then look at the task:
  npm run zego -- send --task demo-1
  npm run zego -- tasks

Ctrl-C stops everything.
`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping`);
    rmSync(LOCAL_STATE_FILE, { force: true });
    await stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error) => {
  console.error(`npm start failed: ${(error as Error).message}`);
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(
      'A port is taken: stop the other process, or pick ports with --port, --sqs-port, --dynamodb-port.',
    );
  }
  process.exit(1);
});
