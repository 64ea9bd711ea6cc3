import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
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
import { runningLocalStack, SERVICE, TARGET_HELP, TARGET_OPTIONS } from '../target';

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
interface SmokeTarget {
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
  const target = values.stage ? await deployed(values.stage, values.region) : local();
  const appid = values.appid ?? [...target.secrets.keys()].find((key) => key !== ANY_APP) ?? '111111';
  const [secret] = secretsFor(target.secrets, appid);
  if (!secret) throw new UsageError(`${target.description} serves no appid ${appid}`);

  const taskId = `${SMOKE_TASK_PREFIX}${Date.now()}-${randomBytes(3).toString('hex')}`;
  const seq = Date.now();
  const callbacks = (['mix_start', 'mix_stop'] as const).map((event, i) =>
    buildCallback({ event, appid, taskId, seq: String(seq + i), secret }),
  );
  console.log(`smoke test of ${target.description}: task ${taskId}, appid ${appid} -> ${target.callbackUrl}`);
  const started = performance.now();
  try {
    for (const fields of callbacks) {
      const { body, contentType } = encodeCallback(fields, 'json');
      const attempt = await postCallback(target.callbackUrl, body, contentType, 10_000);
      console.log(`  ${fields.event}  ${attempt.status ?? attempt.error} (${attempt.ms} ms)`);
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
    console.log(
      `passed: callbacks in, task stopped in the tasks table after ${Math.round(performance.now() - started)} ms`,
    );
  } finally {
    await cleanUp(target, appid, taskId, callbacks);
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
  console.log('  removed the task, its idempotency records and its signature bindings');
}

function local(): SmokeTarget {
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

async function deployed(stage: string, region: string | undefined): Promise<SmokeTarget> {
  const aws = region ? { region } : {};
  const StackName = `${SERVICE}-${stage}`;
  const { Stacks = [] } = await new CloudFormationClient(aws)
    .send(new DescribeStacksCommand({ StackName }))
    .catch((error: Error) => {
      throw new CommandFailedError(
        `stack ${StackName} not found (${error.message}): deploy it first, or check --region`,
      );
    });
  const outputs = Object.fromEntries(
    (Stacks[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue ?? '']),
  );
  const output = (key: string) => {
    const value = outputs[key];
    if (value === undefined)
      throw new CommandFailedError(`stack ${StackName} has no output ${key}: redeploy this version`);
    return value;
  };
  const parameter = output('CallbackSecretParameter');
  const { Parameter } = await new SSMClient(aws)
    .send(new GetParameterCommand({ Name: parameter, WithDecryption: true }))
    .catch((error: Error) => {
      throw new CommandFailedError(
        `cannot read ${parameter} (${error.name}): put the CallbackSecret there first`,
      );
    });
  return {
    description: `stage ${stage}`,
    callbackUrl: output('CallbackUrl'),
    secrets: parseSecretBook(Parameter?.Value ?? '', {
      appIds: parseAppIds(output('ServedAppIds').replace(/^appids:/, '')),
    }),
    tables: {
      tasks: output('TasksTableName'),
      idempotency: output('IdempotencyTableName'),
      signatures: output('SignaturesTableName'),
    },
    dynamo: new DynamoDBClient(aws),
  };
}
