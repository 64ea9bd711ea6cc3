import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { IngestConfig } from '../config';
import { createMetrics } from '../metrics';
import { sqsKeepRefused } from '../queue/keep-refused';
import { secretSource } from '../zego/ssm-secret-source';
import { receiveCallback } from './receive-callback';
import { dynamoSignatureBindings } from './signature-bindings';

export interface IngestHandlerOptions {
  config: IngestConfig;
  logger?: Logger;
  metrics?: Metrics;
  /** Clients; the module singletons by default. */
  sqs?: SQSClient;
  dynamo?: DynamoDBClient;
  ssm?: SSMProvider;
  /** Current time in milliseconds. */
  now?: () => number;
}

/** The ingest Lambda: ZEGO's POST through API Gateway (HTTP API, payload 2.0) to the queue. */
export function createIngestHandler({
  config,
  logger = new Logger({ serviceName: 'zego-mix-callbacks', persistentKeys: { function: 'ingest' } }),
  metrics = createMetrics('ingest', config.STAGE),
  sqs,
  dynamo,
  ssm,
  now = Date.now,
}: IngestHandlerOptions) {
  const secrets = secretSource(config.secret, {
    maxAgeSeconds: config.ZEGO_SECRET_CACHE_SECONDS,
    appIds: config.ZEGO_APP_IDS,
    provider: ssm,
    now,
    onStale: (error) =>
      logger.warn('the secret parameter could not be refreshed; serving the last good value', { error }),
  });
  const bindSignature = dynamoSignatureBindings({ tableName: config.SIGNATURES_TABLE, client: dynamo, now });

  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .handler((event) =>
      receiveCallback(event, {
        queueUrl: config.QUEUE_URL,
        secrets,
        bindSignature,
        keepRefused: sqsKeepRefused({ queueUrl: config.REFUSED_QUEUE_URL, sqs }),
        maxClockSkewSeconds: config.ZEGO_MAX_CLOCK_SKEW_SECONDS,
        enqueueTimeoutMs: config.ENQUEUE_TIMEOUT_MS,
        logger,
        metrics,
        now,
        sqs,
      }),
    );
}
