import { Logger } from '@aws-lambda-powertools/logger';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadIngestConfig } from '../../../lib/config';
import { createIngestHandler } from '../../../lib/ingest/ingest-handler';
import { createMetrics } from '../../../lib/metrics';
import { lambdaContext } from '../../../tools/local-stack/lambda-context';
import { apiGatewayEvent, encode, signedCallback, TEST_NOW_MS, TEST_SECRET } from '../../support/callbacks';
import { capturedLogger } from '../../support/logs';
import { capturedMetrics } from '../../support/metrics';

const sqs = mockClient(SQSClient);
const dynamo = mockClient(DynamoDBClient);
const ssm = mockClient(SSMClient);
const aws = { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } };
const PARAM = '/zego-mix-callbacks/test/callback-secret';

beforeEach(() => {
  sqs.reset();
  dynamo.reset();
  ssm.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
  dynamo.on(PutItemCommand).resolves({});
  ssm
    .on(GetParameterCommand)
    .resolves({ Parameter: { Name: PARAM, Value: TEST_SECRET, Type: 'SecureString' } });
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('createIngestHandler', () => {
  it('goes on with the last good secret when SSM fails, and warns', async () => {
    const { logger, records } = capturedLogger();
    const handler = createIngestHandler({
      config: loadIngestConfig({
        STAGE: 'test',
        QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/callbacks.fifo',
        REFUSED_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/refused.fifo',
        SIGNATURES_TABLE: 'signatures',
        ZEGO_CALLBACK_SECRET_PARAM: PARAM,
        ZEGO_APP_IDS: '111111',
        ZEGO_SECRET_CACHE_SECONDS: '0',
      }),
      logger,
      metrics: createMetrics('ingest', 'test'),
      sqs: new SQSClient(aws),
      dynamo: new DynamoDBClient(aws),
      ssm: new SSMProvider({ awsSdkV3Client: new SSMClient(aws) }),
      now: () => TEST_NOW_MS,
    });
    const post = () => handler(apiGatewayEvent(encode.json(signedCallback())), lambdaContext('ingest'));
    expect((await post()).statusCode).toBe(200);
    ssm.on(GetParameterCommand).rejects(new Error('ThrottlingException'));
    expect((await post()).statusCode).toBe(200);
    expect(records().filter((record) => record.level === 'WARN')).toMatchObject([
      { error: { message: 'ThrottlingException' } },
    ]);
  });

  it('counts its cold start once', async () => {
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand'); // as Lambda sets it
    const { metrics, emitted } = capturedMetrics('ingest');
    const handler = createIngestHandler({
      config: loadIngestConfig({
        STAGE: 'test',
        QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/callbacks.fifo',
        REFUSED_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/refused.fifo',
        SIGNATURES_TABLE: 'signatures',
        ZEGO_CALLBACK_SECRET: TEST_SECRET,
      }),
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics,
      sqs: new SQSClient(aws),
      dynamo: new DynamoDBClient(aws),
      now: () => TEST_NOW_MS,
    });
    for (let i = 0; i < 2; i++) {
      await handler(apiGatewayEvent(encode.json(signedCallback())), lambdaContext('ingest'));
    }
    expect(emitted().filter((m) => m.name === 'ColdStart')).toHaveLength(1);
  });
});
