import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { loadIngestConfig } from '../lib/config';
import { receiveCallback } from '../lib/ingest/receive-callback';
import { createMetrics } from '../lib/metrics';
import { staticSecretSource } from '../lib/zego/secrets';
import { ssmSecretSource } from '../lib/zego/ssm-secret-source';

const config = loadIngestConfig();
const logger = new Logger({ serviceName: 'zego-mix-callbacks', persistentKeys: { function: 'ingest' } });
const metrics = createMetrics('ingest');
const secrets = config.ZEGO_CALLBACK_SECRET
  ? staticSecretSource(config.ZEGO_CALLBACK_SECRET)
  : ssmSecretSource(config.ZEGO_CALLBACK_SECRET_PARAM as string, config.ZEGO_SECRET_CACHE_SECONDS);

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics, { captureColdStartMetric: true }))
  .handler((event) =>
    receiveCallback(event, {
      queueUrl: config.QUEUE_URL,
      secrets,
      maxClockSkewSeconds: config.ZEGO_MAX_CLOCK_SKEW_SECONDS,
      enqueueTimeoutMs: config.ENQUEUE_TIMEOUT_MS,
      logger,
      metrics,
    }),
  );
