import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { QueueUnavailableError, SignatureReusedError } from '../errors';
import { breakdown, metric } from '../metrics';
import { type PreparedMessage, prepareMessage, sendMessage } from '../queue/enqueue';
import type { KeepRefused } from '../queue/keep-refused';
import { callbackDigest, callbackIdentity } from '../zego/callback-identity';
import { type ParsedCallback, parseCallback, type ZegoCallback } from '../zego/callback-schema';
import { decodeBody } from '../zego/decode-body';
import type { SecretSource } from '../zego/secrets';
import { verifyCallback } from '../zego/verify-callback';
import { acceptedAnswer, errorAnswer } from './http-response';
import type { BindSignature } from './signature-bindings';

export interface ReceiveOptions {
  queueUrl: string;
  secrets: SecretSource;
  /** One use per signature: binds each signature to the first body that used it. */
  bindSignature: BindSignature;
  /** Keeps a body refused for reusing another body's signature (the refused-callbacks queue). */
  keepRefused: KeepRefused;
  maxClockSkewSeconds: number;
  enqueueTimeoutMs: number;
  logger: Logger;
  metrics: Metrics;
  /** Current time in milliseconds. */
  now?: () => number;
  sqs?: SQSClient;
}

/** With the skew check off, a triple stays bound this long (it could otherwise be replayed forever). */
const UNCHECKED_BINDING_SECONDS = 7 * 86_400;
/** Room for clocks that differ between our functions. */
const BINDING_MARGIN_SECONDS = 60;

/**
 * ZEGO's POST, start to finish: decode, validate, verify, check it fits the queue, bind its
 * signature to it, enqueue, answer. 200 only once the callback is on the queue; every refusal is
 * decided before that (lib/errors.ts lists them).
 */
export async function receiveCallback(
  request: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>,
  {
    queueUrl,
    secrets,
    bindSignature,
    keepRefused,
    maxClockSkewSeconds,
    enqueueTimeoutMs,
    logger,
    metrics,
    now = Date.now,
    sqs,
  }: ReceiveOptions,
): Promise<APIGatewayProxyStructuredResultV2> {
  const receivedAtMs = now();
  metric(metrics, 'CallbackReceived');
  let callback: ZegoCallback | undefined;
  try {
    const parsed = parseCallback(decodeBody(request));
    callback = parsed.callback;
    verifyCallback(parsed, { secrets: await secrets(), maxClockSkewSeconds, now });
    const message = prepareMessage(callback, receivedAtMs);
    await bindOrKeep(
      () => bindSignature(binding(parsed, Math.floor(receivedAtMs / 1000), maxClockSkewSeconds)),
      message,
      keepRefused,
    );
    const enqueueStarted = now();
    const queued = await sendMessage(message, { queueUrl, timeoutMs: enqueueTimeoutMs, sqs });
    const latencyMs = now() - receivedAtMs;
    metric(metrics, 'CallbackAccepted');
    metric(metrics, 'EnqueueLatency', now() - enqueueStarted);
    // How late ZEGO's callback reached us: its own timestamp against our receive time.
    metric(metrics, 'CallbackLag', Math.max(0, receivedAtMs / 1000 - Number(callback.timestamp)));
    // Only a verified appid, one this stage serves, ever becomes a dimension.
    breakdown(metrics, 'CallbackAccepted', 'appid', callback.appid);
    logger.info('callback accepted', {
      ...identify(callback),
      outcome: 'accepted',
      deduplicationId: message.deduplicationId,
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
      metric(metrics, 'CallbackFailed');
      breakdown(metrics, 'CallbackFailed', 'reason', reason);
      logger.error('callback failed', { ...fields, outcome: 'failed', latencyMs, error });
    } else {
      metric(metrics, 'CallbackRejected');
      if (status === 401) metric(metrics, 'CallbackUnauthorized');
      const hashes = error instanceof SignatureReusedError ? error.hashes : {};
      if (error instanceof SignatureReusedError) metric(metrics, 'CallbackForged');
      breakdown(metrics, 'CallbackRejected', 'reason', reason);
      logger.warn('callback rejected', { ...fields, ...hashes, latencyMs, detail: (error as Error).message });
    }
    return response;
  }
}

/**
 * Binds the signature; a body refused for reusing another body's signature is kept before it is
 * refused, so that a 401 never loses a genuine callback. If it cannot be kept, the answer is 503 and
 * ZEGO's retry tries again.
 */
async function bindOrKeep(bind: () => Promise<void>, message: PreparedMessage, keepRefused: KeepRefused) {
  try {
    await bind();
  } catch (error) {
    if (error instanceof SignatureReusedError) {
      await keepRefused(message, error).catch((cause: unknown) => {
        throw new QueueUnavailableError(
          'the refused callback could not be kept in the refused-callbacks queue',
          {
            cause,
          },
        );
      });
    }
    throw error;
  }
}

/** The triple stays bound while it could still pass the skew check, plus a margin. */
function binding({ callback, signed }: ParsedCallback, nowSeconds: number, maxClockSkewSeconds: number) {
  const expiresAt =
    maxClockSkewSeconds > 0
      ? Number(callback.timestamp) + maxClockSkewSeconds + BINDING_MARGIN_SECONDS
      : nowSeconds + UNCHECKED_BINDING_SECONDS;
  return {
    signature: signed.signature.toLowerCase(),
    identity: callbackIdentity(callback),
    digest: callbackDigest(callback),
    expiresAt,
  };
}

/** What a log line may say about a callback: never its signature, nonce or user data. */
function identify(callback: ZegoCallback | undefined) {
  if (!callback) return {};
  return { appid: callback.appid, event: callback.event, seq: callback.seq, task_id: callback.task_id };
}
