import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  CloudWatchClient,
  DescribeAlarmsForMetricCommand,
  GetMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { paginateListSubscriptionsByTopic, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { METRICS_NAMESPACE, type MetricName } from '../../lib/metrics';
import { ANY_APP, parseAppIds, parseSecretBook, type SecretBook, secretsFor } from '../../lib/zego/secrets';
import { queueDepth } from '../../tools/local-stack/queue-depth';
import { type ResolvedRegion, resolveRegion } from '../aws';
import { smokeRoundTrip, stackSmokeTarget } from '../commands/smoke';
import {
  deployCommand,
  describeStageStack,
  readSecretParameter,
  type StageStack,
  servedAppIdsText,
  stackName,
} from '../stage-stack';
import { SERVICE } from '../target';
import { type Check, type Finding, fail, ok, skip, warn } from './checklist';

/** The outputs this version of the CLI and of the checks below read. */
const REQUIRED_OUTPUTS = [
  'CallbackUrl',
  'CallbackSecretParameter',
  'ServedAppIds',
  'TasksTableName',
  'IdempotencyTableName',
  'SignaturesTableName',
  'CallbackDeadLetterQueueUrl',
  'AlarmTopicArn',
];

const HEARTBEAT: MetricName = 'OrphanCheckCompleted';

export interface StageOptions {
  stage: string;
  region?: string;
  appid?: string;
  timeoutMs: number;
  now?: () => number;
}

/** Where a value the checks share is read: a check that needs it runs only after the one that sets it. */
function must<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('an earlier check did not pass');
  return value;
}

/** The checks of a deployed stage, in order: each later one reads what the earlier ones found. */
export function stageChecks({
  stage,
  region: regionFlag,
  appid,
  timeoutMs,
  now = Date.now,
}: StageOptions): Check[] {
  let where: ResolvedRegion | undefined;
  let stack: StageStack | undefined;
  let callbackSecret: { spec: string; book: SecretBook } | undefined;
  const aws = () => ({ region: must(where).region });
  const region = () => must(where).region;
  const zego = (command: string) => `\`npx zego ${command} --stage ${stage} --region ${region()}\``;

  return [
    {
      name: 'credentials and region',
      run: async () => {
        where = await resolveRegion(regionFlag);
        // The SDK's own chain (environment, profile, SSO, container, instance); throws when it finds none.
        const client = new CloudFormationClient(aws());
        try {
          await client.config.credentials();
        } finally {
          client.destroy();
        }
        return ok(`region ${where.region} (from ${where.source}); AWS credentials found`);
      },
    },
    {
      name: 'stack',
      needs: ['credentials and region'],
      run: async () => {
        stack = await describeStageStack(stage, new CloudFormationClient(aws()));
        if (!stack)
          return fail(
            `no stack ${stackName(stage)} in ${region()}: deploy it (${deployCommand(stage, region())}), or check --stage and --region`,
          );
        return stackFinding(stack, region());
      },
    },
    {
      name: 'callback secret',
      needs: ['stack'],
      run: async () => {
        const found = await secretParameter(
          must(stack),
          'CallbackSecretParameter',
          'CallbackSecret',
          region(),
        );
        if ('finding' in found) return found.finding;
        callbackSecret = { spec: found.spec, book: found.book };
        const served = [...found.book.keys()].filter((key) => key !== ANY_APP);
        const unserved = found.unserved.length
          ? `; it also holds secrets for appid(s) ${found.unserved.join(', ')}, which appIds leaves out: ingest refuses their callbacks (add them to appIds, or drop them from the book)`
          : '';
        const say = `${found.name} is a SecureString serving appid(s) ${served.join(', ')}${unserved}`;
        return unserved ? warn(say) : ok(say);
      },
    },
    {
      name: 'server secret',
      needs: ['stack'],
      run: async () => {
        if (must(stack).outputs.ServerSecretParameter === undefined)
          return skip(
            'reconciliation is off (no serverSecretParam): mixes that end without a mix_stop are only reported as orphaned (docs/operations.md, "Reconciliation")',
          );
        const found = await secretParameter(must(stack), 'ServerSecretParameter', 'ServerSecret', region());
        if ('finding' in found) return found.finding;
        const served = [...(callbackSecret?.book.keys() ?? [])].filter((key) => key !== ANY_APP);
        const missing = served.filter((key) => secretsFor(found.book, key).length === 0);
        if (missing.length > 0)
          return fail(
            `${found.name} has no ServerSecret for appid(s) ${missing.join(', ')}, so reconciliation cannot ask ZEGO about their mixes: add them to it`,
          );
        return ok(`${found.name} is a SecureString with a ServerSecret for each appid served`);
      },
    },
    {
      name: 'alarm topic',
      needs: ['stack'],
      run: async () => {
        const topic = must(must(stack).outputs.AlarmTopicArn);
        const subscriptions = [];
        for await (const page of paginateListSubscriptionsByTopic(
          { client: new SNSClient(aws()) },
          { TopicArn: topic },
        ))
          subscriptions.push(...(page.Subscriptions ?? []));
        const confirmed = subscriptions.filter((s) => s.SubscriptionArn?.startsWith('arn:'));
        const pending = subscriptions.filter((s) => s.SubscriptionArn === 'PendingConfirmation');
        if (confirmed.length > 0)
          return ok(
            `${confirmed.length} confirmed subscription(s) (${[...new Set(confirmed.map((s) => s.Protocol))].join(', ')}): alarms reach someone`,
          );
        if (pending.length > 0)
          return fail(
            `the alarm topic's ${pending.length} subscription(s) wait for confirmation, so no alarm reaches anyone: open the link in the e-mail AWS sent ("AWS Notification - Subscription Confirmation")`,
          );
        return fail(
          `nobody is subscribed to the alarm topic, so no alarm reaches anyone: deploy with --param="alarmEmail=you@example.com" (${deployCommand(stage, region())}) and confirm the e-mail AWS sends`,
        );
      },
    },
    {
      name: 'dead-letter queue',
      needs: ['stack'],
      run: async () => {
        const url = must(must(stack).outputs.CallbackDeadLetterQueueUrl);
        const depth = await queueDepth(new SQSClient(aws()), url);
        if (depth === 0) return ok('empty');
        return fail(
          `${depth} callback(s) wait in the dead-letter queue: ${zego('dlq')} lists them and why; fix the cause, then ${zego('dlq redrive')} (docs/operations.md, "Runbook")`,
        );
      },
    },
    {
      name: 'heartbeat',
      needs: ['stack'],
      run: () => heartbeat(new CloudWatchClient(aws()), must(stack), region(), now),
    },
    {
      name: 'smoke round trip',
      needs: ['stack', 'callback secret'],
      run: async () => {
        const target = stackSmokeTarget(
          must(stack),
          must(callbackSecret).spec,
          new DynamoDBClient(aws()),
          region(),
        );
        const run = await smokeRoundTrip(target, { appid, timeoutMs, log: () => {} });
        return ok(
          `a signed mix_start and mix_stop (appid ${run.appid}) went in and the task stopped after ${run.ms} ms; what it wrote is removed`,
        );
      },
    },
  ];
}

function stackFinding(stack: StageStack, region: string): Finding {
  const { name, status } = stack;
  const redeploy = deployCommand(stack.stage, region);
  if (status === 'ROLLBACK_COMPLETE' || status === 'ROLLBACK_FAILED')
    return fail(
      `${name} is ${status}: its first deploy failed (the CloudFormation events say why); remove it (\`npx serverless remove --stage ${stack.stage} --region ${region}\`) and deploy again`,
    );
  if (status.endsWith('_FAILED'))
    return fail(
      `${name} is ${status}: the CloudFormation events say why; fix that and deploy again (${redeploy})`,
    );
  if (status.startsWith('DELETE_'))
    return fail(
      `${name} is ${status}: it is being removed; deploy it again once that has ended (${redeploy})`,
    );
  const missing = REQUIRED_OUTPUTS.filter((key) => stack.outputs[key] === undefined);
  if (missing.length > 0)
    return fail(`${name} has no output ${missing.join(', ')}: deploy this version (${redeploy})`);
  if (status.endsWith('_IN_PROGRESS'))
    return warn(`${name} is ${status}: a deploy is under way; run this again when it has ended`);
  if (status === 'UPDATE_ROLLBACK_COMPLETE')
    return warn(
      `${name} is ${status}: the last deploy was rolled back and the version before it runs; the CloudFormation events say why`,
    );
  return ok(`${name} is ${status}, with every output this version reads`);
}

type SecretFound =
  | { finding: Finding }
  | { name: string; spec: string; book: SecretBook; unserved: string[] };

/** A secret parameter named by an output: exists, is a SecureString, parses as the functions read it. */
async function secretParameter(
  stack: StageStack,
  output: 'CallbackSecretParameter' | 'ServerSecretParameter',
  what: 'CallbackSecret' | 'ServerSecret',
  region: string,
): Promise<SecretFound> {
  const name = must(stack.outputs[output]);
  const parameter = await readSecretParameter(new SSMClient({ region }), name);
  const put = `\`aws ssm put-parameter --region ${region} --type SecureString --overwrite --name ${name} --value '{"<appid>": "<${what}>"}'\``;
  if (!parameter?.Value)
    return { finding: fail(`${name} does not exist in ${region}: put the ${what} there (${put})`) };
  if (parameter.Type !== 'SecureString')
    return {
      finding: fail(
        `${name} is a ${parameter.Type}, not a SecureString, so anyone who may read parameters reads the ${what}: delete it and put it again as a SecureString (${put})`,
      ),
    };
  const appIds = parseAppIds(servedAppIdsText(stack));
  let book: SecretBook;
  try {
    book = parseSecretBook(parameter.Value, { appIds });
  } catch (error) {
    // The parser's messages never quote the value.
    return {
      finding: fail(
        `${name} cannot be used: ${(error as Error).message} (docs/deploy.md, "Set the callback secret")`,
      ),
    };
  }
  const whole = parseSecretBook(parameter.Value, { allowAnyApp: true });
  const unserved = appIds.length
    ? [...whole.keys()].filter((key) => key !== ANY_APP && !appIds.includes(key))
    : [];
  return { name, spec: parameter.Value, book, unserved };
}

/** The scheduled check's heartbeat: OrphanCheckCompleted within two of its periods, as its alarm wants. */
async function heartbeat(
  cloudwatch: CloudWatchClient,
  stack: StageStack,
  region: string,
  now: () => number,
): Promise<Finding> {
  const metric = {
    Namespace: METRICS_NAMESPACE,
    MetricName: HEARTBEAT,
    Dimensions: [
      { Name: 'service', Value: SERVICE },
      { Name: 'function', Value: 'orphans' },
      { Name: 'stage', Value: stack.stage },
    ],
  };
  // The heartbeat alarm's period is the check's interval (orphanCheckMinutes).
  const { MetricAlarms = [] } = await cloudwatch.send(new DescribeAlarmsForMetricCommand(metric));
  const period = MetricAlarms[0]?.Period ?? 300;
  const end = now();
  const { MetricDataResults = [] } = await cloudwatch.send(
    new GetMetricDataCommand({
      MetricDataQueries: [{ Id: 'heartbeat', MetricStat: { Metric: metric, Period: 60, Stat: 'Sum' } }],
      StartTime: new Date(end - Math.max(3 * period, 3_600) * 1000),
      EndTime: new Date(end),
      ScanBy: 'TimestampDescending',
    }),
  );
  const { Timestamps = [], Values = [] } = MetricDataResults[0] ?? {};
  const last = Timestamps.find((_, i) => (Values[i] ?? 0) > 0);
  const every = `it runs every ${minutes(period * 1000)}`;
  const logs = `\`npx serverless logs -f orphans --stage ${stack.stage} --region ${region}\``;
  if (last && end - last.getTime() <= 2 * period * 1000)
    return ok(`the scheduled check last completed ${minutes(end - last.getTime())} ago (${every})`);
  if (!last && stack.changedAt && end - stack.changedAt.getTime() <= 2 * period * 1000)
    return warn(
      `no completed scheduled check yet since the deploy ${minutes(end - stack.changedAt.getTime())} ago (${every}): run this again after its first run`,
    );
  const since = last
    ? `since ${minutes(end - last.getTime())} ago`
    : `in the last ${minutes(Math.max(3 * period, 3_600) * 1000)}`;
  return fail(
    `the scheduled check has not completed ${since} (${every}), so orphaned mixes go unreported: its logs say why (${logs})`,
  );
}

function minutes(ms: number): string {
  const whole = Math.round(ms / 60_000);
  return whole < 1 ? 'under a minute' : `${whole} min`;
}
