import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { Hooks } from '../hook-contract';
import type { QueuedMessage } from '../queue/message';
import type { Transition } from '../run-life';
import type { ApplyOutcome, TaskStoreOptions } from '../store/apply-mix-event';
import type { TaskStatus } from '../store/task-item';
import type { ZegoCallback } from '../zego/callback-schema';

// What the consumer's parts (consume-batch, process-once, process-message, process-callback,
// process-reconciliation, legacy-completions) say to each other: each imports this, none another's
// types, so the folder has no import loop.

/** Saved by the idempotency layer and returned again for every later delivery of the callback. */
export interface ProcessResult {
  event: string;
  outcome: ApplyOutcome | 'ignored';
  /** What the callback did to its run (lib/run-life.ts); absent for an ignored event. */
  transition?: Transition;
  runId?: string;
  taskStatus?: TaskStatus;
}

export type ConsumerHooks = Pick<Hooks, 'onMixStarted' | 'onMixUpdated' | 'onMixStopped'>;

export interface ProcessOptions {
  store: TaskStoreOptions;
  hooks: ConsumerHooks;
  logger: Logger;
  metrics: Metrics;
  /** Milliseconds left before the function times out. */
  remainingTimeMs: () => number;
  /** Recognises a callback completed under the identity used before the upgrade (legacy-completions.ts). */
  completedBeforeUpgrade?: CompletedBeforeUpgrade;
}

export interface MessageInput {
  /** messageIdentity(message): the idempotency layer keys on it. */
  idempotencyKey: string;
  message: QueuedMessage;
}

/** Fixed, so records stay valid if the function is renamed. */
export const IDEMPOTENCY_KEY_PREFIX = 'zego-callback';

/**
 * A message (callback or reconciliation) processed at most once to completion; undefined when there
 * was nothing to process.
 */
export type ProcessOnce = (input: MessageInput, context: Context) => Promise<ProcessResult | undefined>;

/** True when the callback completed (hook included) under the identity used before task_id joined it. */
export type CompletedBeforeUpgrade = (
  callback: Pick<ZegoCallback, 'appid' | 'event' | 'seq'>,
) => Promise<boolean>;
