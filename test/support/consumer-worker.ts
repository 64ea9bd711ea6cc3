/**
 * The real consumer in a process of its own, fed by the local event source mapping, so a test can
 * kill it mid-batch. Its hook is slow (HOOK_MS times the seq's last digit plus one, so the
 * callbacks of a batch finish one after another) and leaves traces in EFFECTS_DIR:
 * - `invocations`: one line per hook call (appended when the call starts);
 * - `effect-<key>`: the hook's effect, written idempotently (as README asks of hooks), per callback.
 */
import '../../tools/local-stack/quiet-sdk-warning';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { SQSClient } from '@aws-sdk/client-sqs';
import { loadConsumerConfig } from '../../lib/config';
import { createConsumerHandler } from '../../lib/process/consumer-handler';
import { startEventSourceMapping } from '../../tools/local-stack/event-source-mapping';
import { lambdaContext } from '../../tools/local-stack/lambda-context';

const {
  EFFECTS_DIR = '',
  HOOK_MS = '0',
  CONSUMER_TIMEOUT_MS = '5000',
  QUEUE_URL = '',
  QUEUE_ARN = '',
} = process.env;

const handler = createConsumerHandler({
  config: loadConsumerConfig(),
  logger: new Logger({ logLevel: 'SILENT' }),
  hooks: {
    onMixStarted: async () => {},
    onMixStopped: async (event, { idempotencyKey }) => {
      appendFileSync(join(EFFECTS_DIR, 'invocations'), `${idempotencyKey}\n`);
      const seq = event.inferred ? event.task.seq : event.callback.seq;
      await setTimeout(Number(HOOK_MS) * (Number(seq.slice(-1)) + 1));
      writeFileSync(join(EFFECTS_DIR, `effect-${idempotencyKey.replaceAll(':', '_')}`), 'done');
    },
  },
});

startEventSourceMapping({
  sqs: new SQSClient({ endpoint: process.env.AWS_ENDPOINT_URL_SQS, useQueueUrlAsEndpoint: false }),
  queueUrl: QUEUE_URL,
  queueArn: QUEUE_ARN,
  region: 'us-east-1',
  handler,
  context: () => lambdaContext('consumer', Number(CONSUMER_TIMEOUT_MS)),
});
process.stdout.write('ready\n');
