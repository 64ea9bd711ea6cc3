import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SSMClient } from '@aws-sdk/client-ssm';
import { marshall } from '@aws-sdk/util-dynamodb';
import { SMOKE_TASK_PREFIX } from '../../lib/hook-contract';
import { IDEMPOTENCY_KEY_PREFIX } from '../../lib/process/contract';
import { idempotencyConfig } from '../../lib/process/process-once';
import { taskKey } from '../../lib/store/task-item';
import { getTask } from '../../lib/store/task-reads';
import { callbackIdentity } from '../../lib/zego/callback-identity';
import { ANY_APP, parseAppIds, parseSecretBook, type SecretBook, secretsFor } from '../../lib/zego/secrets';
import { localCredentials } from '../../tools/local-stack/engines';
import { buildCallback, encodeCallback } from '../../tools/zego-fake/callbacks';
import { postCallback } from '../../tools/zego-fake/delivery';
import { CommandFailedError, integer, parse, UsageError } from '../args';
import { resolveRegion } from '../aws';
import {
  deployCommand,
  describeStageStack,
  readSecretParameter,
  type StageStack,
  servedAppIdsText,
  stackName,
  stackOutput,
} from '../stage-stack';
import { runningLocalStack, TARGET_HELP, TARGET_OPTIONS } from '../target';

export const SMOKE_HELP = `Usage: zego smoke [--appid A] [--timeout-ms T] [target]

After a deploy: sends a signed mix_start and mix_stop for a reserved task id (${SMOKE_TASK_PREFIX}...)
to the callback URL, waits until the tasks table shows the task stopped, prints the round trip,
and removes what it wrote (the task, its idempotency records, its signature bindings). Your hooks
are not called for reserved task ids.

It signs with the secret the function reads (the stage's SSM parameter, or npm start's secret) and
an appid the stage serves (--appid, else the first one configured).

  --appid A          the appid to send as
  --timeout-ms T     how long to wait for the task to stop (default 60000)

${TARGET_HELP}

On AWS it needs cloudformation:DescribeStacks, ssm:GetParameter (with decryption) and
dynamodb:GetItem/DeleteItem on the stage's tables.`;

/** What the smoke test needs of a deployment (the stack's outputs) or of `npm start` (its state file). */
export interface SmokeTarget {
  description: string;
  callbackUrl: string;
  secrets: SecretBook;
  tables: { tasks: string; idempotency: string; signatures: string };
  dynamo: DynamoDBClient;
}

export const SMOKE_OPTIONS = {
  appid: { type: 'string' },
  'timeout-ms': { type: 'string' },
  ...TARGET_OPTIONS,
} as const;

export async function smoke(args: string[]): Promise<void> {
  const { values } = parse(args, SMOKE_OPTIONS);
  if (values.help) return void console.log(SMOKE_HELP);
  const timeoutMs = integer(values['timeout-ms'], 'timeout-ms', 60_000, 1);
  const target = values.stage ? await deployedSmokeTarget(values.stage, values.region) : localSmokeTarget();
  await smokeRoundTrip(target, { appid: values.appid, timeoutMs, log: console.log });
}

export interface SmokeRun {
  appid: string;
  taskId: string;
  /** From the first POST to the task seen stopped. */
  ms: number;
}

/**
 * The smoke test's round trip: a signed start and stop for a reserved task id, the task seen
 * stopped in the tasks table, then what it wrote removed. Throws a CommandFailedError saying what
 * went wrong; `log` gets each step.
 */
export async function smokeRoundTrip(
  target: SmokeTarget,
  { appid: wanted, timeoutMs, log }: { appid?: string; timeoutMs: number; log: (line: string) => void },
): Promise<SmokeRun> {
  const appid = wanted ?? [...target.secrets.keys()].find((key) => key !== ANY_APP) ?? '111111';
  const [secret] = secretsFor(target.secrets, appid);
  if (!secret) throw new UsageError(`${target.description} serves no appid ${appid}`);

  const taskId = `${SMOKE_TASK_PREFIX}${Date.now()}-${randomBytes(3).toString('hex')}`;
  const seq = Date.now();
  const callbacks = (['mix_start', 'mix_stop'] as const).map((event, i) =>
    buildCallback({ event, appid, taskId, seq: String(seq + i), secret }),
  );
  log(`smoke test of ${target.description}: task ${taskId}, appid ${appid} -> ${target.callbackUrl}`);
  const started = performance.now();
  try {
    for (const fields of callbacks) {
      const { body, contentType } = encodeCallback(fields, 'json');
      const attempt = await postCallback(target.callbackUrl, body, contentType, 10_000);
      log(`  ${fields.event}  ${attempt.status ?? attempt.error} (${attempt.ms} ms)`);
      if (attempt.status !== 200) {
        throw new CommandFailedError(
          `the endpoint answered ${attempt.status ?? attempt.error}: ${attempt.body ?? ''}`.trim(),
        );
      }
    }
    const store = { tableName: target.tables.tasks, client: target.dynamo };
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const task = await getTask(appid, taskId, store);
      if (task?.status === 'stopped') break;
      if (performance.now() > deadline) {
        throw new CommandFailedError(
          `the task was not stopped within ${timeoutMs} ms (it is ${task ? task.status : 'not in the tasks table'}): check the consumer's logs and the DLQ`,
        );
      }
      await sleep(250);
    }
    const ms = Math.round(performance.now() - started);
    log(`passed: callbacks in, task stopped in the tasks table after ${ms} ms`);
    return { appid, taskId, ms };
  } finally {
    await cleanUp(target, appid, taskId, callbacks);
    log('  removed the task, its idempotency records and its signature bindings');
  }
}

/** Removes the task, the callbacks' idempotency records and their signature bindings. */
async function cleanUp(
  target: SmokeTarget,
  appid: string,
  taskId: string,
  callbacks: Record<string, unknown>[],
) {
  const persistence = new DynamoDBPersistenceLayer({
    tableName: target.tables.idempotency,
    awsSdkV3Client: target.dynamo,
  });
  persistence.configure({
    config: idempotencyConfig({ days: 7, metrics: new Metrics({ namespace: 'unused' }) }),
    keyPrefix: IDEMPOTENCY_KEY_PREFIX,
  });
  for (const fields of callbacks) {
    const identity = callbackIdentity({
      appid,
      task_id: taskId,
      event: String(fields.event),
      seq: String(fields.seq),
    });
    await persistence.deleteRecord({ idempotencyKey: identity }).catch(() => {});
    // The binding's key is the signature, lowercase (lib/ingest/signature-bindings.ts).
    const signature = String(fields.signature).toLowerCase();
    await target.dynamo.send(
      new DeleteItemCommand({ TableName: target.tables.signatures, Key: marshall({ signature }) }),
    );
  }
  await target.dynamo.send(
    new DeleteItemCommand({ TableName: target.tables.tasks, Key: marshall(taskKey(appid, taskId)) }),
  );
}

export function localSmokeTarget(): SmokeTarget {
  const info = runningLocalStack();
  return {
    description: 'the local stack',
    callbackUrl: info.callbackUrl,
    secrets: parseSecretBook(info.secret, { allowAnyApp: true }),
    tables: { tasks: info.tasksTable, idempotency: info.idempotencyTable, signatures: info.signaturesTable },
    dynamo: new DynamoDBClient({
      region: info.region,
      credentials: localCredentials,
      endpoint: info.dynamoEndpoint,
    }),
  };
}

async function deployedSmokeTarget(stage: string, regionFlag: string | undefined): Promise<SmokeTarget> {
  const { region } = await resolveRegion(regionFlag);
  const stack = await describeStageStack(stage, new CloudFormationClient({ region }));
  if (!stack)
    throw new CommandFailedError(
      `stack ${stackName(stage)} not found in ${region}: deploy it first (${deployCommand(stage, region)}), or check --stage and --region`,
    );
  const parameter = stackOutput(stack, 'CallbackSecretParameter', region);
  const found = await readSecretParameter(new SSMClient({ region }), parameter);
  if (!found?.Value)
    throw new CommandFailedError(
      `${parameter} does not exist in ${region}: put the CallbackSecret there first (docs/deploy.md, "Set the callback secret")`,
    );
  return stackSmokeTarget(stack, found.Value, new DynamoDBClient({ region }), region);
}

/** The smoke target of a deployed stage, from its stack's outputs and its secret parameter's value. */
export function stackSmokeTarget(
  stack: StageStack,
  secretSpec: string,
  dynamo: DynamoDBClient,
  region: string,
): SmokeTarget {
  const output = (key: string) => stackOutput(stack, key, region);
  let secrets: SecretBook;
  try {
    secrets = parseSecretBook(secretSpec, { appIds: parseAppIds(servedAppIdsText(stack)) });
  } catch (error) {
    throw new CommandFailedError(
      `${output('CallbackSecretParameter')} is not a secret the stage can use: ${(error as Error).message}`,
    );
  }
  return {
    description: `stage ${stack.stage}`,
    callbackUrl: output('CallbackUrl'),
    secrets,
    tables: {
      tasks: output('TasksTableName'),
      idempotency: output('IdempotencyTableName'),
      signatures: output('SignaturesTableName'),
    },
    dynamo,
  };
}
