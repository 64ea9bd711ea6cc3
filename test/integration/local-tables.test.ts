import { randomUUID } from 'node:crypto';
import { DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createDynamoClient } from '../../lib/store/dynamodb-client';
import { LOCAL_REGION, localCredentials } from '../../tools/local-stack/engines';
import { createTables } from '../../tools/local-stack/stack-resources';

const client = createDynamoClient({
  region: LOCAL_REGION,
  credentials: localCredentials,
  endpoint: inject('dynamoEndpoint'),
});
afterAll(() => client.destroy());

describe('the local stack’s tables on DynamoDB Local', () => {
  it('are created again over the same tables, as `npm start --data` does on its second run', async () => {
    const prefix = `t${randomUUID().slice(0, 8)}-`;
    const first = await createTables(client, prefix);
    // The second run finds the tables and their TTL already there (DynamoDB Local refuses to
    // enable a TTL that is enabled: "TimeToLive is already enabled").
    await expect(createTables(client, prefix)).resolves.toEqual(first);
    const { TimeToLiveDescription } = await client.send(
      new DescribeTimeToLiveCommand({ TableName: first.TasksTable }),
    );
    expect(TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
  });
});
