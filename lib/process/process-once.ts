import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { metric } from '../metrics';
import { IDEMPOTENCY_KEY_PREFIX, type MessageInput, type ProcessOnce, type ProcessResult } from './contract';

/**
 * Idempotency keyed on the callback's identity (appid, task_id, event, seq), or a reconciliation's
 * (appid, task_id, seq), not the SQS message id, so a replay from the DLQ or a ZEGO retry past SQS's
 * 5-minute window is recognised too. A message answered from its record, without running again,
 * counts as DuplicateSuppressed.
 */
export function idempotencyConfig({ days, metrics }: { days: number; metrics: Metrics }): IdempotencyConfig {
  return new IdempotencyConfig({
    eventKeyJmesPath: 'idempotencyKey',
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: days * 86_400,
    responseHook: (response) => {
      metric(metrics, 'DuplicateSuppressed');
      return response;
    },
  });
}

/** `processInput` behind Powertools idempotency (the config from idempotencyConfig). */
export function processOnce(
  processInput: (input: MessageInput, context: Context) => Promise<ProcessResult>,
  { persistenceStore, config }: { persistenceStore: BasePersistenceLayer; config: IdempotencyConfig },
): ProcessOnce {
  // Called like a Lambda handler (input, context): Powertools keys on the input alone.
  return makeIdempotent(processInput, { persistenceStore, config, keyPrefix: IDEMPOTENCY_KEY_PREFIX });
}
