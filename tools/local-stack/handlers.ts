import { type CheckHandlerOptions, createCheckHandler } from '../../lib/check/check-handler';
import { loadConsumerConfig, loadIngestConfig, loadOrphansConfig } from '../../lib/config';
import type { Hooks } from '../../lib/hook-contract';
import { createIngestHandler, type IngestHandlerOptions } from '../../lib/ingest/ingest-handler';
import { type ConsumerHandlerOptions, createConsumerHandler } from '../../lib/process/consumer-handler';
import type { LocalStack } from './stack';

type Extra<T> = Partial<T> & { env?: Record<string, string> };

/**
 * The real ingest handler (lib/ingest/ingest-handler.ts, as functions/ingest.ts builds it), its
 * configuration read from the stack's ingest environment, its clients pointing at the stack.
 */
export function ingestHandler(
  stack: LocalStack,
  { env = {}, ...options }: Extra<Omit<IngestHandlerOptions, 'config'>> = {},
) {
  return createIngestHandler({
    config: loadIngestConfig({ ...stack.env.ingest, ...env }),
    sqs: stack.clients.sqs,
    dynamo: stack.clients.ingestDynamo,
    ...options,
  });
}

/** The real consumer handler with the hooks given (the user's, or a test's), on the stack. */
export function consumerHandler(
  stack: LocalStack,
  hooks: Pick<Hooks, 'onMixStarted' | 'onMixUpdated' | 'onMixStopped'>,
  { env = {}, ...options }: Extra<Omit<ConsumerHandlerOptions, 'config' | 'hooks'>> = {},
) {
  return createConsumerHandler({
    config: loadConsumerConfig({ ...stack.env.consumer, ...env }),
    hooks,
    sqs: stack.clients.sqs,
    dynamo: stack.clients.dynamo,
    ...options,
  });
}

/** The real scheduled check (orphans and, with a server secret, reconciliation) on the stack. */
export function orphansHandler(
  stack: LocalStack,
  hooks: Pick<Hooks, 'onMixOrphaned'>,
  { env = {}, ...options }: Extra<Omit<CheckHandlerOptions, 'config' | 'hooks'>> = {},
) {
  return createCheckHandler({
    config: loadOrphansConfig({ ...stack.env.orphans, ...env }),
    hooks,
    sqs: stack.clients.sqs,
    dynamo: stack.clients.dynamo,
    ...options,
  });
}
