import { type IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { count } from '../metrics';
import type { ProcessInput, ProcessResult } from './process-callback';

/** Fixed, so records stay valid if the function is renamed. */
export const IDEMPOTENCY_KEY_PREFIX = 'zego-callback';

/** A callback processed at most once to completion; undefined when there was nothing to process. */
export type ProcessOnce = (input: ProcessInput, context: Context) => Promise<ProcessResult | undefined>;

export interface ProcessOnceOptions {
  persistenceStore: BasePersistenceLayer;
  config: IdempotencyConfig;
  metrics: Metrics;
}

/**
 * `process` behind Powertools idempotency, keyed on the callback's identity (appid, task_id,
 * event, seq), not the SQS message id, so a replay from the DLQ or a ZEGO retry past SQS's
 * 5-minute window is recognised too. A callback answered from the idempotency record, without
 * running `process`, counts as a DuplicateSuppressed metric.
 */
export function processOnce(
  processInput: (input: ProcessInput, context: Context) => Promise<ProcessResult>,
  { persistenceStore, config, metrics }: ProcessOnceOptions,
): ProcessOnce {
  const ran = new Set<ProcessInput>();
  const idempotent = makeIdempotent(
    (input: ProcessInput, context: Context) => {
      ran.add(input);
      return processInput(input, context);
    },
    // Called like a Lambda handler (input, context): Powertools keys on the input alone.
    { persistenceStore, config, keyPrefix: IDEMPOTENCY_KEY_PREFIX },
  );
  return async (input, context) => {
    try {
      const result = await idempotent(input, context);
      if (!ran.has(input)) count(metrics, 'DuplicateSuppressed');
      return result;
    } finally {
      ran.delete(input);
    }
  };
}
