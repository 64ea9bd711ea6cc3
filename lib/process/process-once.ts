import { type IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { count } from '../metrics';
import type { ProcessInput, ProcessResult } from './process-callback';

export interface ProcessOnceOptions {
  persistenceStore: BasePersistenceLayer;
  config: IdempotencyConfig;
  metrics: Metrics;
}

/**
 * `process` behind Powertools idempotency, keyed on the callback's identity (appid:event:seq),
 * not the SQS message id, so a replay from the DLQ or a ZEGO retry past SQS's 5-minute window is
 * recognised too. A callback answered from the idempotency record, without running `process`,
 * counts as a DuplicateSuppressed metric. The fixed key prefix keeps records valid if the
 * function is renamed.
 */
export function processOnce(
  process: (input: ProcessInput) => Promise<ProcessResult>,
  { persistenceStore, config, metrics }: ProcessOnceOptions,
): (input: ProcessInput) => Promise<ProcessResult | undefined> {
  const ran = new Set<ProcessInput>();
  const idempotent = makeIdempotent(
    (input: ProcessInput) => {
      ran.add(input);
      return process(input);
    },
    { persistenceStore, config, keyPrefix: 'zego-callback' },
  );
  return async (input) => {
    try {
      const result = await idempotent(input);
      if (!ran.has(input)) count(metrics, 'DuplicateSuppressed');
      return result;
    } finally {
      ran.delete(input);
    }
  };
}
