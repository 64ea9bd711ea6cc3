import { isReconciliation, type QueuedMessage } from '../queue/message';
import { callbackIdentity, reconciliationIdentity } from '../zego/callback-identity';
import type { MessageInput, ProcessOptions, ProcessResult } from './contract';
import { processCallback } from './process-callback';
import { processReconciliation } from './process-reconciliation';

/** What the idempotency layer keys a message on; a callback's and a reconciliation's never collide. */
export function messageIdentity(message: QueuedMessage): string {
  return isReconciliation(message)
    ? reconciliationIdentity(message.reconciliation)
    : callbackIdentity(message.callback);
}

/** One queued message of either kind, to its own flow. */
export function processMessage(
  { idempotencyKey, message }: MessageInput,
  deps: ProcessOptions,
): Promise<ProcessResult> {
  return isReconciliation(message)
    ? processReconciliation({ idempotencyKey, message }, deps)
    : processCallback({ idempotencyKey, message }, deps);
}
