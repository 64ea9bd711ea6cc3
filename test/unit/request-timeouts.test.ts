import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngestDynamoClient } from '../../lib/ingest/dynamodb-client';
import { createSqsClient } from '../../lib/queue/sqs-client';
import { createSsmClient, sharedSsmProvider } from '../../lib/zego/ssm-client';

/**
 * A server on loopback, in this process, that takes every request and never answers: a hung
 * connection. Each client must give up after its own requestTimeout; without
 * `throwOnRequestTimeout` the SDK only logs a warning and waits for as long as the socket stays open.
 */
let hung: Server;
let endpoint: string;
beforeAll(async () => {
  hung = createServer(() => {});
  await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(hung.address() as AddressInfo).port}`;
});
afterAll(async () => {
  hung.closeAllConnections();
  await new Promise((resolve) => hung.close(resolve));
});

// One attempt each, so the time measured is one request's; the timeouts are the clients' own.
const local = () => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 1,
});

const clients = [
  {
    name: 'ingest’s DynamoDB client',
    requestTimeoutMs: 1_500,
    call: () => createIngestDynamoClient(local()).send(new ListTablesCommand({})),
  },
  {
    name: 'the SQS client',
    requestTimeoutMs: 2_000,
    call: () => createSqsClient(local()).send(new GetQueueUrlCommand({ QueueName: 'any' })),
  },
  {
    name: 'the SSM client',
    requestTimeoutMs: 1_500,
    call: () => createSsmClient(local()).send(new GetParameterCommand({ Name: '/any' })),
  },
];

describe.each(clients)('$name ($requestTimeoutMs ms)', ({ call }) => {
  // The server never answers: without the client's own timeout the call would wait past the test's.
  it('fails a request that gets no answer, with a TimeoutError, at its requestTimeout', async () => {
    await expect(call()).rejects.toMatchObject({ name: 'TimeoutError' });
  }, 6_000);
});

// The secret sources read through this provider unless given one: its client must be the one above,
// or a cold start would wait on the SDK's defaults (no request timeout, three attempts).
it('the shared SSM parameter reader reads through the SSM client with its timeouts', async () => {
  const { config } = sharedSsmProvider().client;
  expect(await config.maxAttempts()).toBe(2);
  expect(sharedSsmProvider()).toBe(sharedSsmProvider());
});
