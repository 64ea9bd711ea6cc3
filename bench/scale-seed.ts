/**
 * The scale benchmark's tasks table. Each task's callbacks go through a checkout's own code, as the
 * consumer runs it (ZEGO's fields parsed, queued, read back, applied by the store's applyMixEvent),
 * with a DynamoDB client that records the store's write instead of sending it: the items are the
 * store's own, keys, index attributes and all, whatever the checkout's layout. They are then
 * written 25 at a time with BatchWriteItem, several requests in flight. `checkSeed` first makes a
 * few of the same writes for real and compares what DynamoDB stored with what was recorded.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { Checkout } from './scale-checkout';

type Item = Record<string, AttributeValue>;

/** A callback of a task, and when the consumer handled it (the store's clock then). */
interface Step {
  fields: Record<string, unknown>;
  atMs: number;
}

export interface SeedPlan {
  running: number;
  stopped: number;
  /** Of the running tasks, this share started more than orphanAfterSeconds ago, not reported yet. */
  orphanedShare: number;
  orphanAfterSeconds: number;
  nowMs: number;
}

/** The store's settings, from the consumer's environment in the checkout's serverless.yml. */
export interface StoreSettings {
  stoppedRetentionSeconds: number;
  firstCheckAfterSeconds: number;
}

const APPIDS = ['111111', '222222', '333333'];
const SECRET = 'bench-secret-not-real';
const MINUTE = 60;
const HOUR = 3_600;

/** Evenly spread, the same every run: the i-th of n points in [0, 1). */
const spread = (i: number) => ((i * 2_654_435_761) % 2 ** 32) / 2 ** 32;

/**
 * Task i's callbacks. Running tasks: one mix_start, every one of them due for the check (the store
 * sets the first check a few minutes after the start, and each started at least 15 minutes ago);
 * the first `orphanedShare` of them started more than orphanAfterSeconds ago. Stopped tasks: a
 * mix_start, then its mix_stop up to an hour later, within the last week.
 */
function steps(kind: 'running' | 'stopped', i: number, plan: SeedPlan, build: Checkout['buildCallback']) {
  const nowSeconds = Math.floor(plan.nowMs / 1000);
  const appid = APPIDS[i % APPIDS.length] ?? '111111';
  const orphaned = kind === 'running' && i < plan.running * plan.orphanedShare;
  const age =
    kind === 'stopped'
      ? HOUR + spread(i) * 7 * 24 * HOUR
      : orphaned
        ? plan.orphanAfterSeconds + MINUTE + spread(i) * plan.orphanAfterSeconds
        : 15 * MINUTE + spread(i) * Math.max(0, plan.orphanAfterSeconds - 30 * MINUTE);
  const startedAt = nowSeconds - Math.floor(age);
  const taskId = `${appid}:${kind}-${String(i).padStart(7, '0')}`;
  const alias = `mix-${kind}-${i}`;
  const callback = (event: 'mix_start' | 'mix_stop', seq: number, at: number): Step => ({
    fields: build({
      event,
      appid,
      taskId,
      seq: String(seq),
      secret: SECRET,
      timestamp: String(at),
      room: `room-${i % 5_000}`,
      publisher: `user-${i % 7_919}`,
      alias,
      playUrls: [
        `rtmp://play.example.invalid/live/${alias}`,
        `https://play.example.invalid/live/${alias}.m3u8`,
        `https://play.example.invalid/live/${alias}.flv`,
      ],
    }),
    atMs: at * 1000 + 800,
  });
  const seq = 1_000_000 + 2 * i;
  const start = callback('mix_start', seq, startedAt);
  if (kind === 'running') return [start];
  return [start, callback('mix_stop', seq + 1, startedAt + 60 + Math.floor(spread(i + 1) * HOUR))];
}

/** A task's callbacks through the checkout's consumer path and store; `client` takes the writes. */
async function apply(
  checkout: Checkout,
  taskSteps: Step[],
  tableName: string,
  settings: StoreSettings,
  client: DynamoDBClient,
) {
  for (const { fields, atMs } of taskSteps) {
    const queued = checkout.toQueuedCallback(checkout.parseCallback(fields).callback, atMs);
    const message = checkout.parseQueuedMessage(checkout.encodeMessageBody(queued));
    if (!('callback' in message)) throw new Error('a mix callback came back as another message');
    await checkout.applyMixEvent(
      message.callback as Parameters<Checkout['applyMixEvent']>[0],
      message.receivedAt,
      {
        tableName,
        ...settings,
        now: () => atMs,
        client,
      },
    );
  }
}

/**
 * The item one task ends with: its callbacks applied by the checkout's store to a client that
 * replays each UpdateItem on the item in memory (SET, `if_not_exists`, REMOVE: all the store
 * writes) and returns it, as DynamoDB does with ReturnValues ALL_NEW. The conditions are not
 * evaluated: each write here is the store's first try on a task in the state it expects.
 */
async function recordedItem(
  checkout: Checkout,
  taskSteps: Step[],
  tableName: string,
  settings: StoreSettings,
): Promise<Item> {
  let item: Item | undefined;
  const recorder = {
    send: async ({ input }: { input: UpdateItemCommandInput }) => {
      item = replayUpdate(item, input);
      return { Attributes: item };
    },
  } as unknown as DynamoDBClient;
  await apply(checkout, taskSteps, tableName, settings, recorder);
  if (!item) throw new Error('the store wrote nothing for a task');
  return item;
}

const ASSIGNMENT = /(#\w+) = (?:if_not_exists\((#\w+), (:\w+)\)|(:\w+))/g;

export function replayUpdate(current: Item | undefined, input: UpdateItemCommandInput): Item {
  const names = input.ExpressionAttributeNames ?? {};
  const values = input.ExpressionAttributeValues ?? {};
  const [, set = '', remove] = /^SET (.+?)(?: REMOVE (.+))?$/.exec(input.UpdateExpression ?? '') ?? [];
  const assignments = [...set.matchAll(ASSIGNMENT)];
  if (assignments.length === 0 || assignments.map(([whole]) => whole).join(', ') !== set)
    throw new Error(`an update the seed cannot replay: ${input.UpdateExpression}`);
  const item: Item = { ...(current ?? input.Key) };
  const name = (placeholder: string | undefined) => {
    const found = placeholder && names[placeholder];
    if (!found) throw new Error(`${placeholder} is not in ExpressionAttributeNames`);
    return found;
  };
  for (const [, target, keep, kept, value] of assignments) {
    const field = name(target);
    if (keep !== undefined && field in item) continue;
    const written = values[(kept ?? value) as string];
    if (!written) throw new Error(`${kept ?? value} is not in ExpressionAttributeValues`);
    item[field] = written;
  }
  for (const placeholder of remove?.split(', ') ?? []) delete item[name(placeholder)];
  return item;
}

/** Every task of the plan, running ones first, as the store writes them. */
async function* plannedItems(
  checkout: Checkout,
  plan: SeedPlan,
  tableName: string,
  settings: StoreSettings,
): AsyncGenerator<Item> {
  for (const [kind, count] of [
    ['running', plan.running],
    ['stopped', plan.stopped],
  ] as const) {
    for (let i = 0; i < count; i++)
      yield await recordedItem(checkout, steps(kind, i, plan, checkout.buildCallback), tableName, settings);
  }
}

/**
 * The first running task, the first orphaned one and the first stopped one, written for real by
 * the checkout's store through `client`, then read back: what DynamoDB stored must be exactly what
 * the seed writes for them. Throws on any difference, naming the attributes.
 */
export async function checkSeed(
  checkout: Checkout,
  plan: SeedPlan,
  { tableName, client, settings }: { tableName: string; client: DynamoDBClient; settings: StoreSettings },
): Promise<number> {
  const samples = [
    steps('running', Math.ceil(plan.running * plan.orphanedShare), plan, checkout.buildCallback),
    steps('running', 0, plan, checkout.buildCallback),
    steps('stopped', 0, plan, checkout.buildCallback),
  ];
  for (const sample of samples) {
    const recorded = await recordedItem(checkout, sample, tableName, settings);
    await apply(checkout, sample, tableName, settings, client);
    const key = Object.fromEntries(
      Object.entries(recorded).filter(([name]) => name === 'appid' || name === 'task_id'),
    );
    const { Item: stored } = await client.send(
      new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
    );
    if (!isDeepStrictEqual(stored, recorded)) {
      const names = new Set([...Object.keys(stored ?? {}), ...Object.keys(recorded)]);
      const differ = [...names].filter((name) => !isDeepStrictEqual(stored?.[name], recorded[name]));
      throw new Error(`the seed's item differs from the store's real write in: ${differ.join(', ')}`);
    }
  }
  return samples.length;
}

/** Writes the plan's tasks with BatchWriteItem, 25 an item, `inFlight` requests at once. */
export async function seedTasks(
  checkout: Checkout,
  plan: SeedPlan,
  {
    tableName,
    client,
    settings,
    inFlight = 16,
  }: { tableName: string; client: DynamoDBClient; settings: StoreSettings; inFlight?: number },
): Promise<number> {
  const items = plannedItems(checkout, plan, tableName, settings);
  let written = 0;
  let done = false;
  const nextBatch = async (): Promise<Item[]> => {
    const batch: Item[] = [];
    while (batch.length < 25 && !done) {
      const next = await items.next();
      if (next.done) done = true;
      else batch.push(next.value);
    }
    return batch;
  };
  const writer = async () => {
    for (let batch = await nextBatch(); batch.length > 0; batch = await nextBatch()) {
      let requests = batch.map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 0)
          await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 50 * 2 ** attempt)));
        const { UnprocessedItems } = await client.send(
          new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }),
        );
        requests = (UnprocessedItems?.[tableName] ?? []) as typeof requests;
      }
      written += batch.length;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, writer));
  return written;
}
