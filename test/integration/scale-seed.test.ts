import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadCheckout } from '../../bench/scale-checkout';
import { checkSeed } from '../../bench/scale-seed';
import { createDynamoClient } from '../../lib/store/dynamodb-client';
import { LOCAL_REGION, localCredentials } from '../../tools/local-stack/engines';

const client = createDynamoClient({
  region: LOCAL_REGION,
  credentials: localCredentials,
  endpoint: inject('dynamoEndpoint'),
});
afterAll(() => client.destroy());

describe('the scale benchmark’s seed (bench/scale-seed.ts)', () => {
  it('writes a running, an orphaned and a stopped task exactly as the store does on DynamoDB Local', async () => {
    const checkout = await loadCheckout(join(__dirname, '..', '..'));
    const tables = await checkout.createTables(client, `t${randomUUID().slice(0, 8)}-`);
    const plan = {
      running: 10,
      stopped: 10,
      orphanedShare: 0.1,
      orphanAfterSeconds: 14_400,
      nowMs: Date.now(),
    };
    const settings = { stoppedRetentionSeconds: 90 * 86_400, firstCheckAfterSeconds: 600 };
    await expect(
      checkSeed(checkout, plan, { tableName: tables.TasksTable ?? '', client, settings }),
    ).resolves.toBe(3);
  });
});
