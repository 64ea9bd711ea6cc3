import type { ZegoCallback } from '../zego/callback-schema';

/** Bumped when the body's shape changes, so a consumer can tell old messages from new ones. */
export const MESSAGE_VERSION = 1;

/**
 * What the ingest function puts on the queue: the verified, normalised callback (unknown fields
 * kept) without its signature, which is of no use once verified and would let a reader replay it.
 */
export interface QueuedCallback {
  version: typeof MESSAGE_VERSION;
  /** When ingest received the callback, ISO 8601. */
  receivedAt: string;
  callback: Omit<ZegoCallback, 'signature'>;
}

export function toQueuedCallback(callback: ZegoCallback, receivedAtMs: number): QueuedCallback {
  const { signature: _signature, ...fields } = callback;
  return { version: MESSAGE_VERSION, receivedAt: new Date(receivedAtMs).toISOString(), callback: fields };
}
