import type { Logger } from '@aws-lambda-powertools/logger';
import type { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { ReconcileSettings } from '../config';
import { prepareReconciliation, sendMessage } from '../queue/enqueue';
import type { RunningTask } from '../store/task-item';
import { secretSource } from '../zego/ssm-secret-source';
import { type AskZegoOptions, askZego, type ZegoAnswer } from './ask-zego';
import { paced } from './pace-calls';
import { serverApiLookup } from './server-api-lookup';

/**
 * Reconciliation as the scheduled check uses it, one task at a time: ask ZEGO about a running task,
 * and queue the stop of one ZEGO no longer knows. It changes no task itself: the stop goes to the
 * task's message group, so the store sees one writer per task, in order, with the consumer's retries
 * and idempotency, and the consumer stops the run only if it is still the one asked about.
 */
export interface Reconciler {
  /** A running task is first asked about this long after its start, then every `everySeconds`. */
  afterSeconds: number;
  everySeconds: number;
  /** What ZEGO says about the task, under every form of its id. Never throws. */
  ask(task: RunningTask): Promise<ZegoAnswer>;
  /** Queues the stop of a task ZEGO no longer knows; throws when SQS did not take it. */
  enqueue(task: RunningTask, checkedAtMs: number): Promise<void>;
}

export interface ReconcilerOptions {
  settings: ReconcileSettings;
  /** How long warm functions cache the ServerSecret parameter. */
  secretCacheSeconds: number;
  /** The appids this stage serves (a plain ServerSecret serves exactly these). */
  appIds?: readonly string[] | undefined;
  logger: Logger;
  sqs?: SQSClient;
  ssm?: SSMProvider;
  /** ZEGO's server API is called with this. */
  fetch?: typeof fetch;
  /** Current time in milliseconds: each call's Timestamp. */
  now?: () => number;
  /** How lookups wait (tests make it quick), and the throttle backoff. */
  pacing?: Pick<AskZegoOptions, 'throttleBackoffMs' | 'maxThrottleRetries' | 'sleep'>;
}

/**
 * The reconciler of one check: its ServerSecret book read (cached per cold start, as the callback
 * secret is), its GetMixTaskInfo calls started `settings.lookupsPerSecond` a second at most, all
 * apps together.
 */
export function reconciler({
  settings,
  secretCacheSeconds,
  appIds,
  logger,
  sqs,
  ssm,
  fetch,
  now = Date.now,
  pacing = {},
}: ReconcilerOptions): () => Promise<Reconciler> {
  const secrets = secretSource(settings.secret, {
    label: 'server secret',
    maxAgeSeconds: secretCacheSeconds,
    appIds,
    provider: ssm,
    now,
    onStale: (error) =>
      logger.warn('the server secret parameter could not be refreshed; using the last good value', { error }),
  });
  return async () => {
    const book = await secrets();
    const lookup = paced(
      serverApiLookup({ book, endpoint: settings.endpoint, timeoutMs: settings.timeoutMs, fetch, now }),
      // Real time, not the injected clock: this paces calls, it does not date anything.
      { perSecond: settings.lookupsPerSecond, sleep: pacing.sleep },
    );
    return {
      afterSeconds: settings.afterSeconds,
      everySeconds: settings.everySeconds,
      ask: (task) => askZego(task, { ...pacing, lookup }),
      enqueue: async ({ appid, task_id, seq }, checkedAtMs) => {
        const checkedAt = new Date(checkedAtMs).toISOString();
        const message = prepareReconciliation({ appid, task_id, seq, checkedAt }, checkedAtMs);
        await sendMessage(message, {
          queueUrl: settings.queueUrl,
          timeoutMs: settings.enqueueTimeoutMs,
          sqs,
        });
      },
    };
  };
}
