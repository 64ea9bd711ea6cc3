import { type DynamoDBClient, paginateScan, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { runningShard, taskKey } from '../../lib/store/task-item';
import { parse } from '../args';
import { explainAwsError, resolveTarget, TARGET_HELP, TARGET_OPTIONS } from '../target';

export const BACKFILL_HELP = `Usage: zego backfill-running-index [target]

For a stage deployed before the running index had shards (docs/deploy.md, "Updating"): gives each
running task that lacks them the keys of the running index (runningShard, and checkAt = now, so the
next scheduled check looks at it). Reads the tasks table with a Scan, page by page: the one command
that scans it, meant to run once per upgrade. Running it again changes nothing.

${TARGET_HELP}`;

export const BACKFILL_OPTIONS = { ...TARGET_OPTIONS } as const;

export async function backfill(args: string[]): Promise<void> {
  const { values } = parse(args, BACKFILL_OPTIONS);
  if (values.help) return void console.log(BACKFILL_HELP);
  const target = resolveTarget(values);
  try {
    const { scanned, updated } = await backfillRunningIndex({
      tableName: target.tasksTable,
      client: target.dynamo,
    });
    console.log(
      `${updated} running task(s) joined the running index (${scanned} item(s) read) in ${target.description}`,
    );
  } catch (error) {
    explainAwsError(error, target);
  }
}

/** Running tasks without the running index's keys get them; each write only if still so. */
async function backfillRunningIndex({
  tableName,
  client,
  now = Date.now,
}: {
  tableName: string;
  client: DynamoDBClient;
  now?: () => number;
}): Promise<{ scanned: number; updated: number }> {
  let scanned = 0;
  let updated = 0;
  const scan = {
    TableName: tableName,
    FilterExpression: 'attribute_exists(runningSince) AND attribute_not_exists(runningShard)',
    ProjectionExpression: 'appid, task_id, fullTaskId',
  };
  for await (const page of paginateScan({ client }, scan)) {
    scanned += page.ScannedCount ?? 0;
    for (const item of page.Items ?? []) {
      const { appid, task_id, fullTaskId } = unmarshall(item) as Record<string, string>;
      const taskId = fullTaskId ?? task_id ?? '';
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: marshall(taskKey(appid ?? '', taskId)),
            UpdateExpression: 'SET runningShard = :shard, checkAt = :now',
            ConditionExpression: 'attribute_exists(runningSince) AND attribute_not_exists(runningShard)',
            ExpressionAttributeValues: marshall({
              ':shard': runningShard(appid ?? '', taskId),
              ':now': Math.floor(now() / 1000),
            }),
          }),
        );
        updated += 1;
      } catch (error) {
        // It stopped or joined the index meanwhile: nothing to do.
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      }
    }
  }
  return { scanned, updated };
}
