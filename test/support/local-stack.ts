import { Logger } from '@aws-lambda-powertools/logger';
import { inject } from 'vitest';
import type { Hooks } from '../../lib/hook-contract';
import * as handlers from '../../tools/local-stack/handlers';
import { type LocalStack, startLocalStack as start } from '../../tools/local-stack/stack';
import { TEST_SECRET } from './callbacks';

export type { LocalStack };

/**
 * The stack's queues (on an SQS engine of this test file's own) and tables (on the run's shared
 * DynamoDB Local, under a prefix of this file's own), created from serverless.yml; ingest checks
 * TEST_SECRET. `callbackQueue` changes the callback queue's attributes (e.g. VisibilityTimeout).
 */
export function startLocalStack(callbackQueue: Record<string, string> = {}): Promise<LocalStack> {
  return start({
    dynamoEndpoint: inject('dynamoEndpoint'),
    secret: TEST_SECRET,
    queueAttributes: { CallbackQueue: callbackQueue },
  });
}

/** Quiet unless a test brings its own logger. */
const silent = () => new Logger({ logLevel: 'SILENT' });

/** The real ingest handler on the stack (tools/local-stack/handlers.ts), quiet by default. */
export function ingestHandler(stack: LocalStack, options: Parameters<typeof handlers.ingestHandler>[1] = {}) {
  return handlers.ingestHandler(stack, { logger: silent(), ...options });
}

/** The real consumer handler on the stack with the hooks a test passes in, quiet by default. */
export function consumerHandler(
  stack: LocalStack,
  hooks: Pick<Hooks, 'onMixStarted' | 'onMixUpdated' | 'onMixStopped'>,
  options: Parameters<typeof handlers.consumerHandler>[2] = {},
) {
  return handlers.consumerHandler(stack, hooks, { logger: silent(), ...options });
}
