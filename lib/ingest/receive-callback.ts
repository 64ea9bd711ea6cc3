import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { enqueueCallback } from '../queue/enqueue';
import { parseCallback, type ZegoCallback } from '../zego/callback-schema';
import { decodeBody } from '../zego/decode-body';
import type { SecretSource } from '../zego/secrets';
import { verifyCallback } from '../zego/verify-callback';
import { acceptedAnswer, errorAnswer } from './http-response';

export interface ReceiveDeps {
  queueUrl: string;
  secrets: SecretSource;
  maxClockSkewSeconds: number;
  enqueueTimeoutMs: number;
  logger: Logger;
  /** Current time in milliseconds. */
  now?: () => number;
  sqs?: SQSClient;
}

/**
 * ZEGO's POST, start to finish: decode, validate, verify, enqueue, answer. 200 only once the
 * callback is on the queue; see lib/errors.ts for every other answer.
 */
export async function receiveCallback(
  request: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>,
  { queueUrl, secrets, maxClockSkewSeconds, enqueueTimeoutMs, logger, now = Date.now, sqs }: ReceiveDeps,
): Promise<APIGatewayProxyStructuredResultV2> {
  const receivedAtMs = now();
  let callback: ZegoCallback | undefined;
  try {
    const parsed = parseCallback(decodeBody(request));
    callback = parsed.callback;
    verifyCallback(parsed, { secrets: await secrets(), maxClockSkewSeconds, now });
    const queued = await enqueueCallback(callback, {
      queueUrl,
      receivedAtMs,
      timeoutMs: enqueueTimeoutMs,
      sqs,
    });
    logger.info('callback accepted', {
      ...identify(callback),
      outcome: 'accepted',
      deduplicationId: queued.deduplicationId,
      messageId: queued.messageId,
      latencyMs: now() - receivedAtMs,
    });
    return acceptedAnswer();
  } catch (error) {
    const { response, reason } = errorAnswer(error);
    const fields = { ...identify(callback), outcome: 'rejected', reason, status: response.statusCode };
    const latencyMs = now() - receivedAtMs;
    if ((response.statusCode ?? 500) >= 500) {
      logger.error('callback failed', { ...fields, outcome: 'failed', latencyMs, error });
    } else {
      logger.warn('callback rejected', { ...fields, latencyMs, detail: (error as Error).message });
    }
    return response;
  }
}

/** What a log line may say about a callback: never its signature, nonce or user data. */
function identify(callback: ZegoCallback | undefined) {
  if (!callback) return {};
  return {
    appid: callback.appid,
    event: callback.event,
    seq: callback.seq,
    task_id: 'task_id' in callback ? callback.task_id : undefined,
  };
}
