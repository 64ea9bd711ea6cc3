import { describe, expect, it } from 'vitest';
import {
  createDynamoClient,
  createIdempotencyClient,
  dynamoClient,
  idempotencyClient,
} from '../../../lib/store/dynamodb-client';

describe('the consumer’s DynamoDB clients', () => {
  it('the idempotency client caches middleware and uses the sockets and settings of the client it shares', async () => {
    const sharing = createDynamoClient({ region: 'eu-west-1' });
    const records = createIdempotencyClient(sharing, { region: 'eu-west-1' });
    expect(records.config.cacheMiddleware).toBe(true);
    expect(records.config.requestHandler).toBe(sharing.config.requestHandler);
    expect(await records.config.maxAttempts()).toBe(3);
    sharing.destroy();
  });

  it('the task store’s client does not cache middleware: the document client adds some to each command', () => {
    expect(createDynamoClient({ region: 'eu-west-1' }).config.cacheMiddleware).not.toBe(true);
  });

  it('the module’s idempotency client is made once and shares the module client’s sockets', () => {
    expect(idempotencyClient()).toBe(idempotencyClient());
    expect(idempotencyClient().config.requestHandler).toBe(dynamoClient.config.requestHandler);
  });
});
