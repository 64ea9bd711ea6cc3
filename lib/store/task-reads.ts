import {
  type DynamoDBClient,
  GetItemCommand,
  paginateQuery,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { dynamoClient } from './dynamodb-client';
import {
  fromAttributes,
  fromRunningIndex,
  type MixTask,
  RUNNING_INDEX,
  RUNNING_SHARDS,
  type RunningTask,
  type TaskKey,
  type TaskStatus,
  taskKey,
  toAttributes,
} from './task-item';

/** Where the tasks are: the table, and the client to read it with (the module's by default). */
export interface TasksTable {
  tableName: string;
  client?: DynamoDBClient;
}

/** Items per request: each page is all that a reader holds of a shard at once. */
const PAGE_SIZE = 100;

/**
 * Items per request of a tally, which keeps only each item's runningSince. Measured on DynamoDB
 * Local with 100,000 running tasks: pages of 100 took 1,016 queries and 7.6 s, of 500 224 queries
 * and 3.8 s; pages of 1,000 were no faster there, and with 32 shards asking at once the slowest of
 * them took 2.1 s, past the client's requestTimeout (lib/store/dynamodb-client.ts).
 */
const TALLY_PAGE_SIZE = 500;

export async function getTask(
  appid: string,
  taskId: string,
  { tableName, client = dynamoClient }: TasksTable,
): Promise<MixTask | undefined> {
  return readTask(tableName, taskKey(appid, taskId), client);
}

/** The item under `key`, read consistently (a write just before it is seen); undefined when none. */
async function readTask(
  tableName: string,
  key: TaskKey,
  client: DynamoDBClient,
): Promise<MixTask | undefined> {
  const { Item } = await client.send(
    new GetItemCommand({ TableName: tableName, Key: toAttributes(key), ConsistentRead: true }),
  );
  return Item ? fromAttributes(Item) : undefined;
}

/** One app's tasks (of one status, if given), page by page: a query, never a scan. */
export async function* appTasks(
  appid: string,
  { tableName, client = dynamoClient, status }: TasksTable & { status?: TaskStatus },
): AsyncGenerator<MixTask> {
  const query: QueryCommandInput = {
    TableName: tableName,
    KeyConditionExpression: 'appid = :appid',
    ExpressionAttributeValues: toAttributes({ ':appid': appid, ...(status && { ':status': status }) }),
    ...(status && {
      FilterExpression: '#status = :status',
      ExpressionAttributeNames: { '#status': 'status' },
    }),
    Limit: PAGE_SIZE,
  };
  for await (const page of paginateQuery({ client }, query)) yield* (page.Items ?? []).map(fromAttributes);
}

export interface RunningQuery extends TasksTable {
  /** Only tasks the scheduled check should look at by this time (Unix seconds); all when absent. */
  dueBy?: number;
  /** Only this app's. */
  appid?: string;
  /** tallyRunningTasks: also count those whose run started before this (Unix seconds). */
  startedBefore?: number;
  /** Items per request and shard: all a reader holds of a shard at once. */
  pageSize?: number;
}

/**
 * Running tasks from the sparse running index, the most overdue first across its shards, page by
 * page: whatever the number of running tasks, a reader holds one page per shard.
 */
export async function* runningTasks(query: RunningQuery): AsyncGenerator<RunningTask> {
  const shards = Array.from({ length: RUNNING_SHARDS }, (_, shard) => shardReader(query, shard));
  const heads = await Promise.all(shards.map((reader) => reader.next()));
  for (;;) {
    let first = -1;
    for (const [shard, head] of heads.entries()) {
      const current = heads[first];
      if (!head.done && (!current || current.done || head.value.checkAt < current.value.checkAt))
        first = shard;
    }
    const head = heads[first];
    const reader = shards[first];
    if (!head || head.done || !reader) return;
    yield head.value;
    heads[first] = await reader.next();
  }
}

/**
 * How many running tasks there are (due by `dueBy`, when given), and how many of them started
 * before `startedBefore`: one pass over the index, a page at a time, nothing kept.
 */
export async function tallyRunningTasks({
  startedBefore,
  ...query
}: RunningQuery): Promise<{ running: number; orphaned: number }> {
  const client = query.client ?? dynamoClient;
  const tallies = await Promise.all(
    Array.from({ length: RUNNING_SHARDS }, async (_, shard) => {
      const tally = { running: 0, orphaned: 0 };
      const input = {
        ...shardQuery({ pageSize: TALLY_PAGE_SIZE, ...query }, shard),
        ProjectionExpression: 'runningSince',
      };
      for await (const page of paginateQuery({ client }, input)) {
        for (const item of page.Items ?? []) {
          tally.running += 1;
          if (startedBefore !== undefined && Number(item.runningSince?.N) < startedBefore)
            tally.orphaned += 1;
        }
      }
      return tally;
    }),
  );
  return tallies.reduce((sum, tally) => ({
    running: sum.running + tally.running,
    orphaned: sum.orphaned + tally.orphaned,
  }));
}

async function* shardReader(query: RunningQuery, shard: number): AsyncGenerator<RunningTask> {
  for await (const page of paginateQuery({ client: query.client ?? dynamoClient }, shardQuery(query, shard)))
    yield* (page.Items ?? []).map(fromRunningIndex);
}

function shardQuery(
  { tableName, dueBy, appid, pageSize = PAGE_SIZE }: RunningQuery,
  shard: number,
): QueryCommandInput {
  return {
    TableName: tableName,
    IndexName: RUNNING_INDEX,
    KeyConditionExpression: `runningShard = :shard${dueBy === undefined ? '' : ' AND checkAt <= :dueBy'}`,
    ExpressionAttributeValues: toAttributes({
      ':shard': shard,
      ...(dueBy !== undefined && { ':dueBy': dueBy }),
      ...(appid !== undefined && { ':appid': appid }),
    }),
    ...(appid !== undefined && { FilterExpression: 'appid = :appid' }),
    // The most overdue first, in each shard and across them (runningTasks).
    ScanIndexForward: true,
    Limit: pageSize,
  };
}
