import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * One client per cold start; region and endpoint from the standard SDK variables (AWS_REGION,
 * AWS_ENDPOINT_URL_DYNAMODB for a local engine).
 */
export const dynamoClient = new DynamoDBClient({ maxAttempts: 5 });

/**
 * Numbers come back wrapped (NumberValue) so a seq past 2^53 keeps every digit; the task store
 * converts them field by field.
 */
export function documentClientFor(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
    unmarshallOptions: { wrapNumbers: true },
  });
}

export const documentClient = documentClientFor(dynamoClient);
