/**
 * `npm start`: the whole pipeline on this machine, no AWS account, no Docker, no Java.
 * Saving lib/hooks.ts loads your hooks again (the queues keep their callbacks). Ctrl-C stops everything.
 */
import '../tools/local-stack/check-node';
import '../tools/local-stack/quiet-sdk-warning';
import { join } from 'node:path';
import { LOCAL_DEV_SECRET, LOCAL_PORTS, localSecret } from '../tools/local-stack/defaults';
import { readableEvent } from '../tools/local-stack/event-bus';
import { reloadingHooks } from '../tools/local-stack/hook-reload';
import { startLocalPipeline } from '../tools/local-stack/pipeline';
import { localQueueUrls, restoreQueues, saveQueues } from '../tools/local-stack/queue-snapshot';
import { makeLogsReadable } from '../tools/local-stack/readable-logs';
import { StartUsageError, startOptions } from '../tools/local-stack/start-options';
import { otherLocalStateOwner, removeLocalState, writeLocalState } from '../tools/local-stack/state-file';

const HELP = `Usage: npm start -- [options]

Runs the ZEGO callback pipeline locally: the callback endpoint (the real ingest handler), the
FIFO queue and its DLQ, the tables, and the real consumer, on in-process engines.

Options (after \`--\`; \`npm start --port 3100\` works too, one option at a time):
  --port N           HTTP port of the callback endpoint (env PORT, default ${LOCAL_PORTS.http}; 0: any free port)
  --sqs-port N       port of the SQS engine (env SQS_PORT, default ${LOCAL_PORTS.sqs})
  --dynamodb-port N  port of the DynamoDB engine (env DYNAMODB_PORT, default ${LOCAL_PORTS.dynamodb})
  --zego-api-port N  port of the fake of ZEGO's server API (env ZEGO_API_PORT, default ${LOCAL_PORTS.zegoApi})
  --data DIR         keep the tables and the queues (callbacks waiting, dead-lettered, refused) in
                     DIR between runs
  --json-logs        print the handlers' JSON log lines as they are
  -h, --help         this text

Environment: ZEGO_CALLBACK_SECRET (default: a development secret, printed below); the CLI signs
with the secret of the running \`npm start\`. HOOK_SETTINGS: your hooks' settings, a JSON object
such as '{"BILLING_TABLE":"billing-dev"}' (deployed, they come from SSM: docs/hooks.md).`;

async function main(): Promise<void> {
  const options = startOptions(process.argv.slice(2));
  if (options.help) {
    console.log(HELP);
    return;
  }
  const owner = otherLocalStateOwner();
  if (owner !== undefined) {
    console.error(
      `npm start: another npm start (process ${owner}) runs in this checkout, and the CLI talks to it; stop it first, or give this one its own state file: ZEGO_LOCAL_STATE=/tmp/second.json npm start -- --port 0 --sqs-port 0 --dynamodb-port 0 --zego-api-port 0`,
    );
    process.exit(1);
  }
  const secret = localSecret();
  process.env.POWERTOOLS_LOG_LEVEL ??= 'INFO';
  if (!options.jsonLogs) {
    makeLogsReadable(process.stdout);
    makeLogsReadable(process.stderr);
  }

  // lib/hooks.ts, loaded again when you save it (tools/local-stack/hook-reload.ts).
  const userHooks = reloadingHooks(join(__dirname, '..', 'lib', 'hooks.ts'));
  // With --data, the queues' messages are saved at Ctrl-C and sent again at the next start.
  const queuesFile = options.dataDir ? join(options.dataDir, 'queues.json') : undefined;
  const pipeline = await startLocalPipeline({
    beforeEnginesStop: queuesFile
      ? async (stack) => {
          const saved = await saveQueues(stack.clients.sqs, localQueueUrls(stack), queuesFile);
          console.log(`queues saved to ${queuesFile}: ${counts(saved)}`);
        }
      : undefined,
    hooks: userHooks.hooks,
    prefix: 'local-',
    port: options.port,
    sqsPort: options.sqsPort,
    dynamoPort: options.dynamodbPort,
    dataDir: options.dataDir,
    secret,
    // The scheduled check every few seconds, reconciling with a fake of ZEGO's server API.
    reconcile: {
      checkEverySeconds: 5,
      afterSeconds: 15,
      zegoApiPort: options.zegoApiPort,
    },
    // Run events on (publishEvents), to a local stand-in of the bus: each one printed, all kept for
    // `zego events`.
    events: {
      onEvent: (event) => {
        if (options.jsonLogs) console.log(JSON.stringify({ message: 'event on the bus', ...event }));
        else console.log(readableEvent(event));
      },
    },
  });
  const { stop, stack, ...info } = pipeline;
  const restored = queuesFile && (await restoreQueues(stack.clients.sqs, localQueueUrls(stack), queuesFile));
  writeLocalState(info);

  console.log(`
ZEGO mix callbacks, running locally
  callback URL   ${info.callbackUrl}
  secret         ${secret === LOCAL_DEV_SECRET ? `${secret}  (development only; ${process.env.ZEGO_CALLBACK_SECRET === '' ? 'ZEGO_CALLBACK_SECRET is set but empty, so not used' : 'set ZEGO_CALLBACK_SECRET to change'})` : '(from ZEGO_CALLBACK_SECRET)'}
  SQS            ${info.sqsEndpoint}   queue ${info.queueUrl}
  DynamoDB       ${info.dynamoEndpoint}   tables ${info.tasksTable}, ${info.idempotencyTable}${options.dataDir ? ` (data in ${options.dataDir})` : ''}${restored && Object.keys(restored).length > 0 ? `\n  queues         restored from ${queuesFile}: ${counts(restored)}` : ''}
  ZEGO's API     ${info.zegoApiUrl}   (a fake: the check reconciles tasks running 15 s+ every 5 s)
  EventBridge    ${info.eventBusUrl}   (a stand-in of the run events' bus: npx zego events)

In another terminal, play ZEGO and look at the task (the CLI finds this stack and its secret):
  npx zego send --task demo-1 --event start
  npx zego send --task demo-1
  npx zego task demo-1
A mix that dies with no mix_stop: npx zego send --task demo-2 --event start; npx zego kill-mix demo-2

Saving lib/hooks.ts loads your hooks again (the queues keep their callbacks). Ctrl-C stops everything.
`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping`);
    removeLocalState();
    userHooks.close();
    await stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

/** `CallbackQueue 2, CallbackDeadLetterQueue 1, RefusedCallbacksQueue 0` */
function counts(perQueue: Record<string, number>): string {
  return Object.entries(perQueue)
    .map(([name, count]) => `${name} ${count}`)
    .join(', ');
}

main().catch((error) => {
  if (error instanceof StartUsageError) {
    console.error(`npm start: ${error.message}.\nRun \`npm start -- --help\` for its options.`);
    process.exit(2);
  }
  console.error(`npm start failed: ${(error as Error).message}`);
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(
      'A port is taken: stop the other process, or pick other ports, e.g. `npm start -- --port 3100 --sqs-port 9325 --dynamodb-port 8001 --zego-api-port 3002` (0 picks a free one).',
    );
  }
  process.exit(1);
});
