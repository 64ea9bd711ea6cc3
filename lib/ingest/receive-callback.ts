import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { breakdown, count, milliseconds, seconds } from '../metrics';
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
  metrics: Metrics;
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
  {
    queueUrl,
    secrets,
    maxClockSkewSeconds,
    enqueueTimeoutMs,
    logger,
    metrics,
    now = Date.now,
    sqs,
  }: ReceiveDeps,
): Promise<APIGatewayProxyStructuredResultV2> {
  const receivedAtMs = now();
  count(metrics, 'CallbackReceived');
  let callback: ZegoCallback | undefined;
  try {
    const parsed = parseCallback(decodeBody(request));
    callback = parsed.callback;
    verifyCallback(parsed, { secrets: await secrets(), maxClockSkewSeconds, now });
    const enqueueStarted = now();
    const queued = await enqueueCallback(callback, {
      queueUrl,
      receivedAtMs,
      timeoutMs: enqueueTimeoutMs,
      sqs,
    });
    const latencyMs = now() - receivedAtMs;
    count(metrics, 'CallbackAccepted');
    milliseconds(metrics, 'EnqueueLatency', now() - enqueueStarted);
    // How late ZEGO's callback reached us: its own timestamp against our receive time.
    seconds(metrics, 'CallbackLag', Math.max(0, receivedAtMs / 1000 - Number(callback.timestamp)));
    breakdown(metrics, 'CallbackAccepted', 'appid', callback.appid);
    logger.info('callback accepted', {
      ...identify(callback),
      outcome: 'accepted',
      deduplicationId: queued.deduplicationId,
      messageId: queued.messageId,
      latencyMs,
    });
    return acceptedAnswer();
  } catch (error) {
    const { response, reason } = errorAnswer(error);
    const fields = { ...identify(callback), outcome: 'rejected', reason, status: response.statusCode };
    const latencyMs = now() - receivedAtMs;
    const status = response.statusCode ?? 500;
    if (status >= 500) {
      count(metrics, 'CallbackFailed');
      breakdown(metrics, 'CallbackFailed', 'reason', reason);
      logger.error('callback failed', { ...fields, outcome: 'failed', latencyMs, error });
    } else {
      count(metrics, 'CallbackRejected');
      if (status === 401) count(metrics, 'CallbackUnauthorized');
      breakdown(metrics, 'CallbackRejected', 'reason', reason);
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
