import {
  ConditionalCheckFailedException,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
} from '@aws-sdk/client-dynamodb';

/**
 * dynalite (the engine `npm start` runs without Java) ignores ReturnValuesOnConditionCheckFailure:
 * a failed condition comes back without the item. DynamoDB returns it, and the task store and the
 * signature bindings rely on that. This middleware closes the gap on a client pointed at dynalite:
 * on a failed condition of a PutItem or UpdateItem that asked for ALL_OLD, it reads the item
 * (consistently) and attaches it to the error, as DynamoDB would have. Not atomic with the write, as
 * DynamoDB's answer is; `test/integration/local-engines.test.ts` shows both engines answer alike.
 */
export function returnOldItemOnConditionFailure(client: DynamoDBClient): void {
  const keyNames = new Map<string, Promise<string[]>>();
  const keyOf = (tableName: string) => {
    let names = keyNames.get(tableName);
    if (!names) {
      names = client
        .send(new DescribeTableCommand({ TableName: tableName }))
        .then(({ Table }) => (Table?.KeySchema ?? []).map((key) => key.AttributeName ?? ''));
      keyNames.set(tableName, names);
    }
    return names;
  };
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const input = args.input as {
          TableName?: string;
          Key?: Record<string, unknown>;
          Item?: Record<string, unknown>;
          ReturnValuesOnConditionCheckFailure?: string;
        };
        if (
          !(error instanceof ConditionalCheckFailedException) ||
          error.Item ||
          input.ReturnValuesOnConditionCheckFailure !== 'ALL_OLD' ||
          !input.TableName
        )
          throw error;
        const key =
          input.Key ??
          Object.fromEntries((await keyOf(input.TableName)).map((name) => [name, input.Item?.[name]]));
        const { Item } = await client.send(
          new GetItemCommand({ TableName: input.TableName, Key: key as never, ConsistentRead: true }),
        );
        if (Item) error.Item = Item;
        throw error;
      }
    },
    { step: 'initialize', name: 'returnOldItemOnConditionFailure' },
  );
}
