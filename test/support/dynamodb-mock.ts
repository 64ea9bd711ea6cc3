import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';

/** An item as DynamoDB sends and receives it: the form the task store's plain client sees. */
export const wire = (item: Record<string, unknown>) => marshall(item, { removeUndefinedValues: true });

/** A DynamoDB client to hand to the code under test, and the mock that answers for it. */
export function mockedDynamo() {
  const client = new DynamoDBClient({ region: 'us-east-1' });
  return { client, ddb: mockClient(client) };
}
