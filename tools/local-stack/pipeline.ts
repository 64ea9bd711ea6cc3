import { setTimeout as sleep } from 'node:timers/promises';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { createEventBridgeClient } from '../../lib/events/eventbridge-client';
import type { Hooks } from '../../lib/hook-contract';
import { type FakeZegoServerApi, startFakeZegoServerApi } from '../zego-fake/server-api';
import { LOCAL_APPID, LOCAL_SERVER_SECRET } from './defaults';
import { localCredentials } from './engines';
import { type BusEvent, startLocalEventBus } from './event-bus';
import { type BatchReport, startEventSourceMapping } from './event-source-mapping';
import { consumerHandler, ingestHandler, orphansHandler } from './handlers';
import { startHttpApi } from './http-api';
import { lambdaContext } from './lambda-context';
import { type LocalStack, type LocalStackOptions, startLocalStack } from './stack';
import { apiThrottle } from './stack-resources';
import type { ThrottleLimits } from './token-bucket';

export interface PipelineOptions extends Partial<LocalStackOptions> {
  /** A stack already started (the fault tests put proxies in front of its engines first). */
  stack?: LocalStack;
  /** HTTP port of the callback endpoint; 0 picks a free one. */
  port: number;
  /** Once nothing consumes the queues any more, before the engines stop (npm start saves the queues). */
  beforeEnginesStop?: (stack: LocalStack) => Promise<void>;
  /** Your code: the consumer and the scheduled check call these (lib/hooks.ts for `npm start`). */
  hooks: Pick<Hooks, 'onMixStarted' | 'onMixUpdated' | 'onMixStopped'> &
    Partial<Pick<Hooks, 'onMixOrphaned'>>;
  /**
   * Run the scheduled check every `checkEverySeconds` with reconciliation against a local fake of
   * ZEGO's server API (on `zegoApiPort`), looking up tasks running longer than `afterSeconds`, and
   * again at each check while ZEGO still runs them.
   */
  reconcile?: { checkEverySeconds: number; afterSeconds: number; zegoApiPort?: number };
  /** Handler options beyond the stack's: other clients (through fault proxies), loggers, env. */
  ingest?: Parameters<typeof ingestHandler>[1];
  consumer?: Parameters<typeof consumerHandler>[2];
  /** Event source mapping pollers running at once (Lambda runs several for several groups). */
  pollers?: number;
  /** The consumer's Lambda timeout; in-progress idempotency records expire with it. */
  consumerTimeoutMs?: number;
  onBatch?: (report: BatchReport) => void;
  /**
   * Publish run events (publishEvents) to a local stand-in of the bus (tools/local-stack/event-bus.ts)
   * on `port` (0: any free one), calling `onEvent` with each event it takes.
   */
  events?: { port?: number; onEvent?: (event: BusEvent) => void };
  /**
   * Throttle the endpoint as the deployed API does: `true` with serverless.yml's limits, or these.
   * Off by default: the load run and the bench go past the deployed limits on purpose.
   */
  throttle?: boolean | ThrottleLimits;
}

/** Where everything is, for the banner, the CLI (`.local/stack.json`) and the tests. */
export interface PipelineInfo {
  callbackUrl: string;
  region: string;
  sqsEndpoint: string;
  dynamoEndpoint: string;
  queueUrl: string;
  deadLetterQueueUrl: string;
  refusedQueueUrl: string;
  tasksTable: string;
  idempotencyTable: string;
  signaturesTable: string;
  /** The callback secret ingest checks (local only): the CLI signs with it. */
  secret: string;
  /** The fake of ZEGO's server API, when reconciliation runs: `zego send` and `zego kill-mix` drive it. */
  zegoApiUrl?: string;
  /** The local stand-in of the event bus, when run events are on: `zego events` reads its `/events`. */
  eventBusUrl?: string;
}

export interface Pipeline extends PipelineInfo {
  stack: LocalStack;
  stop: () => Promise<void>;
}

/**
 * The whole product on one machine: the real ingest handler behind a local HTTP API, the real
 * consumer fed by local event source mapping pollers, on a local stack built from serverless.yml.
 * Used by `npm start`, the load run and the fault tests.
 */
export async function startLocalPipeline(options: PipelineOptions): Promise<Pipeline> {
  const stack =
    options.stack ??
    (await startLocalStack({
      secret: options.secret ?? '',
      ...options,
      queueAttributes: {
        // Shorter than the deployed 180 s so a failed callback is retried while you watch.
        CallbackQueue: { VisibilityTimeout: '5' },
        ...options.queueAttributes,
      },
    }));
  const bus = options.events && (await startLocalEventBus({ name: 'local-run-events', ...options.events }));
  // Publishing on, as publishEvents deploys it: EVENT_BUS_NAME for the consumer and the check.
  const publishing = bus && {
    env: { EVENT_BUS_NAME: bus.name },
    eventBridge: createEventBridgeClient({
      endpoint: bus.url,
      region: stack.region,
      credentials: localCredentials,
    }),
  };
  const ingest = ingestHandler(stack, options.ingest);
  const throttle = options.throttle === true ? apiThrottle() : options.throttle || undefined;
  const api = await startHttpApi(
    [
      {
        method: 'POST',
        path: '/zego/callback',
        handler: ingest,
        context: () => lambdaContext('zego-mix-callbacks-local-ingest', 10_000),
      },
    ],
    options.port,
    { throttle },
  );
  const pollers = Array.from({ length: options.pollers ?? 1 }, () =>
    startEventSourceMapping({
      sqs: stack.clients.sqs,
      queueUrl: stack.queue.url,
      queueArn: stack.queue.arn,
      region: stack.region,
      // One consumer per poller, as Lambda runs one invocation at a time per instance: a shared
      // one would publish another invocation's metrics and find its own store empty.
      handler: consumerHandler(stack, options.hooks, {
        ...(publishing && { eventBridge: publishing.eventBridge }),
        ...options.consumer,
        // A new run's first check, as the scheduled check below looks (deployed: the same setting).
        env: {
          ...(options.reconcile && { RECONCILE_AFTER_MINUTES: String(options.reconcile.afterSeconds / 60) }),
          ...publishing?.env,
          ...options.consumer?.env,
        },
      }),
      context: () => lambdaContext('zego-mix-callbacks-local-consumer', options.consumerTimeoutMs ?? 30_000),
      onBatch: options.onBatch,
    }),
  );

  const schedule =
    options.reconcile &&
    (await startSchedule(stack, options.hooks, options.reconcile, publishing || undefined));

  return {
    stack,
    zegoApiUrl: schedule?.zegoApi.url,
    callbackUrl: `${api.url}/zego/callback`,
    region: stack.region,
    sqsEndpoint: stack.sqsEndpoint,
    dynamoEndpoint: stack.dynamoEndpoint,
    queueUrl: stack.queue.url,
    deadLetterQueueUrl: stack.deadLetterQueue.url,
    refusedQueueUrl: stack.refusedQueue.url,
    tasksTable: stack.tables.tasks,
    idempotencyTable: stack.tables.idempotency,
    signaturesTable: stack.tables.signatures,
    secret: stack.env.ingest.ZEGO_CALLBACK_SECRET ?? '',
    eventBusUrl: bus?.url,
    stop: async () => {
      await api.stop();
      await schedule?.stop();
      await Promise.all(pollers.map((poller) => poller.stop()));
      await bus?.stop();
      await options.beforeEnginesStop?.(stack);
      if (!options.stack) await stack.stop();
    },
  };
}

/**
 * The scheduled check as EventBridge runs it, every few seconds instead of minutes, with
 * reconciliation asking a fake of ZEGO's server API that knows the mixes `zego send` started and
 * forgets the ones `zego kill-mix` ended (no callback).
 */
async function startSchedule(
  stack: LocalStack,
  hooks: PipelineOptions['hooks'],
  { checkEverySeconds, afterSeconds, zegoApiPort = 0 }: NonNullable<PipelineOptions['reconcile']>,
  publishing?: { env: Record<string, string>; eventBridge: EventBridgeClient },
): Promise<{ zegoApi: FakeZegoServerApi; stop: () => Promise<void> }> {
  const zegoApi = await startFakeZegoServerApi({
    port: zegoApiPort,
    apps: { [LOCAL_APPID]: LOCAL_SERVER_SECRET },
  });
  const check = orphansHandler(
    stack,
    { onMixOrphaned: hooks.onMixOrphaned ?? (async () => {}) },
    {
      ...(publishing && { eventBridge: publishing.eventBridge }),
      env: {
        ZEGO_SERVER_SECRET: LOCAL_SERVER_SECRET,
        ZEGO_SERVER_API_ENDPOINT: zegoApi.url,
        RECONCILE_AFTER_MINUTES: String(afterSeconds / 60),
        RECONCILE_EVERY_MINUTES: String(checkEverySeconds / 60),
        ...publishing?.env,
      },
    },
  );
  const stopping = new AbortController();
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      await sleep(checkEverySeconds * 1_000, undefined, { signal: stopping.signal }).catch(() => {});
      // A failed check is logged by the handler and retried by the next one, as deployed.
      if (!stopping.signal.aborted)
        await check({}, lambdaContext('zego-mix-callbacks-local-orphans', 60_000)).catch(() => {});
    }
  })();
  return {
    zegoApi,
    stop: async () => {
      stopping.abort();
      await loop;
      await zegoApi.stop();
    },
  };
}
