/**
 * Reconciliation in tests: the real orphans handler built like the deployed one (from an
 * environment, through loadOrphansConfig) against a local stack and the fake of ZEGO's server API,
 * and a way to run the consumer until its queue is empty.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { type CheckHandlerOptions, createCheckHandler } from '../../lib/check/check-handler';
import { loadOrphansConfig } from '../../lib/config';
import type { Hooks } from '../../lib/hook-contract';
import { type MappingOptions, pollOnce } from '../../tools/local-stack/event-source-mapping';
import { lambdaContext } from '../../tools/local-stack/lambda-context';
import { queueDepth } from '../../tools/local-stack/queue-depth';
import { startFakeZegoServerApi } from '../../tools/zego-fake/server-api';
import type { LocalStack } from './local-stack';

/** Obviously fake: no real ServerSecret appears in this repository. Not the callback TEST_SECRET. */
const SERVER_SECRET = 'fixture-server-secret-not-real';
export const APPID = '111111';

/** ZEGO's server API on loopback, knowing APPID with SERVER_SECRET. */
export function startFakeZego() {
  return startFakeZegoServerApi({ apps: { [APPID]: SERVER_SECRET } });
}

/**
 * The real scheduled check (the orphans function) with reconciliation on, asking `zegoUrl` with
 * SERVER_SECRET (env overrides any of it), talking to the stack's engines. Its lookups are not paced
 * and throttle backoff is short, so a test does not wait for what protects ZEGO in production.
 */
export function orphansHandler(
  stack: LocalStack,
  zegoUrl: string,
  {
    env = {},
    ...options
  }: Partial<Omit<CheckHandlerOptions, 'config'>> & { env?: Record<string, string> } = {},
) {
  const config = loadOrphansConfig({
    ...stack.env.orphans,
    ZEGO_SERVER_SECRET: SERVER_SECRET,
    ZEGO_SERVER_API_ENDPOINT: zegoUrl,
    ZEGO_SERVER_API_TIMEOUT_MS: '1000',
    ...env,
  });
  const hooks: Pick<Hooks, 'onMixOrphaned'> = { onMixOrphaned: async () => {} };
  const handler = createCheckHandler({
    config,
    hooks,
    sqs: stack.clients.sqs,
    dynamo: stack.clients.dynamo,
    logger: new Logger({ logLevel: 'SILENT' }),
    // No waiting between lookups, and a short throttle backoff.
    pacing: { sleep: async () => {}, throttleBackoffMs: 10 },
    ...options,
  });
  /** One scheduled run, with a minute to go as deployed. */
  return () => handler({}, lambdaContext('orphans', 60_000));
}

/** Runs the queue's event source mapping into `handler` until nothing is visible or in flight. */
export async function settle(
  stack: LocalStack,
  handler: MappingOptions['handler'],
  timeoutMs = 20_000,
): Promise<void> {
  const mapping: MappingOptions = {
    sqs: stack.clients.sqs,
    queueUrl: stack.queue.url,
    queueArn: stack.queue.arn,
    region: 'us-east-1',
    handler,
    context: () => lambdaContext('consumer'),
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { received } = await pollOnce(mapping);
    if (received > 0) continue;
    if ((await queueDepth(stack.clients.sqs, stack.queue.url)) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the queue did not settle');
}
