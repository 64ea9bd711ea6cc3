import { describe, expect, it } from 'vitest';
import { createDynamoClient } from '../../../lib/store/dynamodb-client';

describe('the consumer’s and the orphan check’s DynamoDB client', () => {
  it('caches middleware, with bounded attempts and timeouts that overrides keep', async () => {
    const client = createDynamoClient({ region: 'eu-west-1' });
    expect(client.config.cacheMiddleware).toBe(true);
    expect(await client.config.maxAttempts()).toBe(3);
    expect(await client.config.region()).toBe('eu-west-1');
    client.destroy();
  });
});
