import { join } from 'node:path';
import {
  CloudFormationClient,
  DescribeStacksCommand,
  type Output,
  type StackStatus,
} from '@aws-sdk/client-cloudformation';
import {
  CloudWatchClient,
  DescribeAlarmsForMetricCommand,
  GetMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { DeleteItemCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, type ParameterType, SSMClient } from '@aws-sdk/client-ssm';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { NO_CREDENTIALS, NO_REGION } from '../../../cli/aws';
import { localStateFileForTest, zego } from './run-zego';

// zego doctor --stage prod against a stage played by mocked AWS clients: a healthy one, then each
// check broken in turn. The round trip's two POSTs go to a stubbed fetch.

const STAGE = ['--stage', 'prod', '--region', 'ap-southeast-1'];
const CALLBACK_PARAMETER = '/zego-mix-callbacks/prod/callback-secret';
const SERVER_PARAMETER = '/zego-mix-callbacks/prod/server-secret';
const CALLBACK_SECRET = 'doctor-test-callback-secret';
const SERVER_SECRET = 'doctor-test-server-secret';
const CALLBACK_URL = 'https://abc123.execute-api.ap-southeast-1.amazonaws.com/zego/callback';
const HEALTHY_OUTPUTS: Record<string, string> = {
  CallbackUrl: CALLBACK_URL,
  CallbackSecretParameter: CALLBACK_PARAMETER,
  ServedAppIds: 'appids:',
  TasksTableName: 'zego-mix-callbacks-prod-tasks',
  IdempotencyTableName: 'zego-mix-callbacks-prod-idempotency',
  SignaturesTableName: 'zego-mix-callbacks-prod-signatures',
  CallbackDeadLetterQueueUrl:
    'https://sqs.ap-southeast-1.amazonaws.com/123456789012/zego-mix-callbacks-prod-callbacks-dlq.fifo',
  AlarmTopicArn: 'arn:aws:sns:ap-southeast-1:123456789012:zego-mix-callbacks-prod-AlarmTopic-1A2B3C',
};

const mocks = () => ({
  cloudformation: mockClient(CloudFormationClient),
  ssm: mockClient(SSMClient),
  sns: mockClient(SNSClient),
  sqs: mockClient(SQSClient),
  cloudwatch: mockClient(CloudWatchClient),
  dynamo: mockClient(DynamoDBClient),
});
let aws: ReturnType<typeof mocks>;
let fetchSpy: MockInstance<typeof fetch>;

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);

function stack(
  outputs: Record<string, string> = HEALTHY_OUTPUTS,
  status: StackStatus = 'UPDATE_COMPLETE',
  changed = 24 * 60,
) {
  const Outputs: Output[] = Object.entries(outputs).map(([OutputKey, OutputValue]) => ({
    OutputKey,
    OutputValue,
  }));
  aws.cloudformation.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'zego-mix-callbacks-prod',
        StackStatus: status,
        CreationTime: minutesAgo(changed),
        Outputs,
      },
    ],
  });
}

function parameter(Name: string, Value: string, Type: ParameterType = 'SecureString') {
  aws.ssm.on(GetParameterCommand, { Name }).resolves({ Parameter: { Name, Type, Value } });
}

function subscriptions(...arns: string[]) {
  aws.sns.on(ListSubscriptionsByTopicCommand).resolves({
    Subscriptions: arns.map((SubscriptionArn) => ({ SubscriptionArn, Protocol: 'email' })),
  });
}

function deadLetters(count: number) {
  aws.sqs.on(GetQueueAttributesCommand).resolves({
    Attributes: { ApproximateNumberOfMessages: String(count), ApproximateNumberOfMessagesNotVisible: '0' },
  });
}

function heartbeatAt(...times: Date[]) {
  aws.cloudwatch.on(DescribeAlarmsForMetricCommand).resolves({ MetricAlarms: [{ Period: 300 }] });
  aws.cloudwatch.on(GetMetricDataCommand).resolves({
    MetricDataResults: [{ Id: 'heartbeat', Timestamps: times, Values: times.map(() => 1) }],
  });
}

/** A stage where every check passes; each test then breaks one thing. */
function healthyStage() {
  stack();
  parameter(CALLBACK_PARAMETER, JSON.stringify({ '111111': CALLBACK_SECRET }));
  subscriptions('arn:aws:sns:ap-southeast-1:123456789012:zego-mix-callbacks-prod-AlarmTopic-1A2B3C:1f2e');
  deadLetters(0);
  heartbeatAt(minutesAgo(2));
  // The round trip reads the task stopped at once, then removes what it wrote.
  const stopped = {
    appid: '111111',
    task_id: 'zego-smoke-1',
    status: 'stopped',
    seq: '2',
    runId: '111111:zego-smoke-1:1',
    stopSeq: '2',
    stoppedBy: 'callback',
    stoppedAt: 1_795_903_637,
    updatedAt: '2026-11-28T22:07:17.542Z',
  };
  aws.dynamo.on(GetItemCommand).resolves({ Item: marshall(stopped) });
  aws.dynamo.on(DeleteItemCommand).resolves({});
  fetchSpy.mockImplementation(async () => new Response('{"ok":true}', { status: 200 }));
}

/** A shell with test credentials and no profile files or instance metadata: nothing leaves the machine. */
function testCredentials() {
  const nowhere = join(__dirname, 'no-such-aws-dir');
  for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_DEFAULT_REGION'])
    vi.stubEnv(name, undefined);
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(nowhere, 'credentials'));
  vi.stubEnv('AWS_CONFIG_FILE', join(nowhere, 'config'));
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
}

beforeEach(() => {
  testCredentials();
  aws = mocks();
  fetchSpy = vi.spyOn(globalThis, 'fetch');
  healthyStage();
});
afterEach(() => {
  for (const mock of Object.values(aws)) mock.restore();
  fetchSpy.mockRestore();
  vi.unstubAllEnvs();
});

/** `zego doctor` on the stage; the line of one check; never a secret in what it prints. */
async function doctor(...extra: string[]) {
  const result = await zego('doctor', ...STAGE, ...extra);
  for (const secret of [CALLBACK_SECRET, SERVER_SECRET])
    expect(result.stdout + result.stderr).not.toContain(secret);
  const line = (check: string) =>
    result.stdout.split('\n').find((l) => new RegExp(`^ {2}\\S+ +${check} {2}`).test(l)) ??
    `(no line for ${check})`;
  return { ...result, line };
}

describe('zego doctor on a deployed stage', () => {
  it('passes a healthy stage, each check on its line, and round-trips a signed callback to CallbackUrl', async () => {
    const { code, stdout, stderr, line } = await doctor();
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(line('credentials and region')).toMatch(
      /^ {2}ok +credentials and region +region ap-southeast-1 \(from --region\); AWS credentials found$/,
    );
    expect(line('stack')).toMatch(/ok +stack +zego-mix-callbacks-prod is UPDATE_COMPLETE, with every output/);
    expect(line('callback secret')).toMatch(
      /ok +callback secret +\/zego-mix-callbacks\/prod\/callback-secret is a SecureString serving appid\(s\) 111111$/,
    );
    expect(line('server secret')).toMatch(/skip +server secret +reconciliation is off/);
    expect(line('alarm topic')).toMatch(/ok +alarm topic +1 confirmed subscription\(s\) \(email\)/);
    expect(line('dead-letter queue')).toMatch(/ok +dead-letter queue +empty$/);
    expect(line('heartbeat')).toMatch(
      /ok +heartbeat +the scheduled check last completed 2 min ago \(it runs every 5 min\)$/,
    );
    expect(line('smoke round trip')).toMatch(
      /ok +smoke round trip +a signed mix_start and mix_stop \(appid 111111\) went in and the task stopped/,
    );
    expect(stdout.split('\n').at(-1)).toBe('passed');
    expect(fetchSpy.mock.calls.map(([url]) => url)).toEqual([CALLBACK_URL, CALLBACK_URL]);
    // The round trip removed the task, the two idempotency records and the two signature bindings.
    expect(aws.dynamo.commandCalls(DeleteItemCommand)).toHaveLength(5);
  });

  it.each([
    [
      'no credentials',
      () => {
        vi.stubEnv('AWS_ACCESS_KEY_ID', undefined);
        vi.stubEnv('AWS_SECRET_ACCESS_KEY', undefined);
      },
      'credentials and region',
      NO_CREDENTIALS,
    ],
    [
      'no stack',
      () => {
        aws.cloudformation.on(DescribeStacksCommand).rejects(
          Object.assign(new Error('Stack with id zego-mix-callbacks-prod does not exist'), {
            name: 'ValidationError',
          }),
        );
      },
      'stack',
      'no stack zego-mix-callbacks-prod in ap-southeast-1: deploy it (`npx serverless deploy --stage prod --region ap-southeast-1`), or check --stage and --region',
    ],
    [
      'a stack whose first deploy failed',
      () => stack(HEALTHY_OUTPUTS, 'ROLLBACK_COMPLETE'),
      'stack',
      'zego-mix-callbacks-prod is ROLLBACK_COMPLETE: its first deploy failed (the CloudFormation events say why); remove it (`npx serverless remove --stage prod --region ap-southeast-1`) and deploy again',
    ],
    [
      'a stack being removed',
      () => stack(HEALTHY_OUTPUTS, 'DELETE_IN_PROGRESS'),
      'stack',
      'zego-mix-callbacks-prod is DELETE_IN_PROGRESS: it is being removed; deploy it again once that has ended (`npx serverless deploy --stage prod --region ap-southeast-1`)',
    ],
    [
      'a stack of an older version',
      () => {
        const { AlarmTopicArn: _, ...older } = HEALTHY_OUTPUTS;
        stack(older);
      },
      'stack',
      'zego-mix-callbacks-prod has no output AlarmTopicArn: deploy this version (`npx serverless deploy --stage prod --region ap-southeast-1`)',
    ],
    [
      'no secret parameter',
      () => {
        aws.ssm
          .on(GetParameterCommand, { Name: CALLBACK_PARAMETER })
          .rejects(Object.assign(new Error('not found'), { name: 'ParameterNotFound' }));
      },
      'callback secret',
      `${CALLBACK_PARAMETER} does not exist in ap-southeast-1: put the CallbackSecret there (\`aws ssm put-parameter --region ap-southeast-1 --type SecureString --overwrite --name ${CALLBACK_PARAMETER} --value '{"<appid>": "<CallbackSecret>"}'\`)`,
    ],
    [
      'a secret in a plain String parameter',
      () => parameter(CALLBACK_PARAMETER, JSON.stringify({ '111111': CALLBACK_SECRET }), 'String'),
      'callback secret',
      /is a String, not a SecureString, so anyone who may read parameters reads the CallbackSecret: delete it and put it again as a SecureString/,
    ],
    [
      'a secret that does not parse',
      () => parameter(CALLBACK_PARAMETER, `{"111111": "${CALLBACK_SECRET}"`),
      'callback secret',
      `${CALLBACK_PARAMETER} cannot be used: the secret specification starts with "{" but is not valid JSON (docs/deploy.md, "Set the callback secret")`,
    ],
    [
      'a plain secret with no appIds',
      () => parameter(CALLBACK_PARAMETER, CALLBACK_SECRET),
      'callback secret',
      /cannot be used: a plain secret \(or a "\*" entry\) would serve any appid: name the appids this stage serves/,
    ],
    [
      'appIds naming an appid the book lacks',
      () => stack({ ...HEALTHY_OUTPUTS, ServedAppIds: 'appids:111111,222222' }),
      'callback secret',
      /cannot be used: appid 222222 is listed in the appids to serve, but the book has no secret for it/,
    ],
    [
      'a ServerSecret parameter that is missing an appid',
      () => {
        stack({ ...HEALTHY_OUTPUTS, ServerSecretParameter: SERVER_PARAMETER });
        parameter(
          CALLBACK_PARAMETER,
          JSON.stringify({ '111111': CALLBACK_SECRET, '222222': CALLBACK_SECRET }),
        );
        parameter(SERVER_PARAMETER, JSON.stringify({ '111111': SERVER_SECRET }));
      },
      'server secret',
      `${SERVER_PARAMETER} has no ServerSecret for appid(s) 222222, so reconciliation cannot ask ZEGO about their mixes: add them to it`,
    ],
    [
      'a ServerSecret parameter that does not exist',
      () => {
        stack({ ...HEALTHY_OUTPUTS, ServerSecretParameter: SERVER_PARAMETER });
        aws.ssm
          .on(GetParameterCommand, { Name: SERVER_PARAMETER })
          .rejects(Object.assign(new Error('not found'), { name: 'ParameterNotFound' }));
      },
      'server secret',
      /^\/zego-mix-callbacks\/prod\/server-secret does not exist in ap-southeast-1: put the ServerSecret there/,
    ],
    [
      'an alarm subscription never confirmed',
      () => subscriptions('PendingConfirmation'),
      'alarm topic',
      'the alarm topic\'s 1 subscription(s) wait for confirmation, so no alarm reaches anyone: open the link in the e-mail AWS sent ("AWS Notification - Subscription Confirmation")',
    ],
    [
      'no alarm subscription',
      () => subscriptions(),
      'alarm topic',
      'nobody is subscribed to the alarm topic, so no alarm reaches anyone: deploy with --param="alarmEmail=you@example.com" (`npx serverless deploy --stage prod --region ap-southeast-1`) and confirm the e-mail AWS sends',
    ],
    [
      'callbacks in the DLQ',
      () => deadLetters(3),
      'dead-letter queue',
      '3 callback(s) wait in the dead-letter queue: `npx zego dlq --stage prod --region ap-southeast-1` lists them and why; fix the cause, then `npx zego dlq redrive --stage prod --region ap-southeast-1` (docs/operations.md, "Runbook")',
    ],
    [
      'a heartbeat that stopped',
      () => heartbeatAt(minutesAgo(40), minutesAgo(45)),
      'heartbeat',
      'the scheduled check has not completed since 40 min ago (it runs every 5 min), so orphaned mixes go unreported: its logs say why (`npx serverless logs -f orphans --stage prod --region ap-southeast-1`)',
    ],
    [
      'a round trip the endpoint refuses',
      () =>
        fetchSpy.mockImplementation(async () => new Response('{"error":"bad_signature"}', { status: 401 })),
      'smoke round trip',
      'the endpoint answered 401: {"error":"bad_signature"}',
    ],
  ])(
    'fails on %s, saying what to do on that check’s line, exit code 1',
    async (_case, breakIt, check, sentence) => {
      breakIt();
      const { code, stdout, stderr, line } = await doctor();
      expect(code, stdout).toBe(1);
      expect(stderr, stdout).toBe(
        'zego doctor: 1 check(s) failed: fix what each FAIL line says, then run `npx zego doctor --stage prod --region ap-southeast-1` again',
      );
      const [, said] = /^ {2}FAIL {2}.+? {2,}(\S.*)$/.exec(line(check)) ?? [];
      if (typeof sentence === 'string') expect(said).toBe(sentence);
      else expect(said).toMatch(sentence);
    },
  );

  it('skips, saying why, what a failed check leaves nothing to look at', async () => {
    aws.cloudformation.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('Stack with id zego-mix-callbacks-prod does not exist'), {
        name: 'ValidationError',
      }),
    );
    const { line } = await doctor();
    for (const check of [
      'callback secret',
      'server secret',
      'alarm topic',
      'dead-letter queue',
      'heartbeat',
      'smoke round trip',
    ])
      expect(line(check)).toMatch(/skip +.* {2}not checked: it needs the stack check, which did not pass$/);
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('says to give --region when none is given or configured', async () => {
    const { code, stdout } = await zego('doctor', '--stage', 'prod');
    expect(code).toBe(1);
    expect(stdout).toContain(`FAIL  credentials and region  ${NO_REGION}`);
  });

  it('warns, and passes, on a book with appids that appIds leaves out, and on a new stage with no heartbeat yet', async () => {
    stack({ ...HEALTHY_OUTPUTS, ServedAppIds: 'appids:111111' }, 'CREATE_COMPLETE', 3);
    parameter(CALLBACK_PARAMETER, JSON.stringify({ '111111': CALLBACK_SECRET, '333333': CALLBACK_SECRET }));
    heartbeatAt();
    const { code, stdout, line } = await doctor();
    expect(code, stdout).toBe(0);
    expect(line('callback secret')).toMatch(
      /^ {2}warn +callback secret +.* serving appid\(s\) 111111; it also holds secrets for appid\(s\) 333333, which appIds leaves out: ingest refuses their callbacks/,
    );
    expect(line('heartbeat')).toMatch(
      /^ {2}warn +heartbeat +no completed scheduled check yet since the deploy 3 min ago/,
    );
    expect(stdout.split('\n').at(-1)).toBe('passed, with 2 warning(s): see each warn line');
  });

  it('checks the ServerSecret when reconciliation is on', async () => {
    stack({ ...HEALTHY_OUTPUTS, ServerSecretParameter: SERVER_PARAMETER });
    parameter(SERVER_PARAMETER, JSON.stringify({ '111111': SERVER_SECRET }));
    expect((await doctor()).line('server secret')).toMatch(
      /ok +server secret +\/zego-mix-callbacks\/prod\/server-secret is a SecureString with a ServerSecret for each appid served$/,
    );
  });
});

describe('zego doctor on the local stack', () => {
  it('fails when npm start is not running, says how to start it, and names the checks only a stage has', async () => {
    localStateFileForTest(); // none written
    const { code, stdout } = await zego('doctor');
    expect(code).toBe(1);
    expect(stdout).toContain(
      'FAIL  local stack        the local stack is not running: start it with `npm start` in another terminal',
    );
    expect(stdout).toMatch(
      /skip +smoke round trip +not checked: it needs the endpoint check, which did not pass/,
    );
    expect(stdout).toContain(
      'not checked here (deployed stages only): credentials and region, the stack and its outputs, the callback secret parameter, the ServerSecret, the alarm topic, the heartbeat',
    );
  });
});
