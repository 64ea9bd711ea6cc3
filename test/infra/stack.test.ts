import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);

interface Resource {
  Type: string;
  // biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON, read by the assertions below
  Properties: Record<string, any>;
}
interface Template {
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: unknown }>;
  Conditions: Record<string, unknown>;
}
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

const CUSTOM_SECRET_PARAM = '/custom/zego/secret';
const dirs: string[] = [];
let dir: string;
let template: Template;

/** `serverless package`, as a user runs it, with no AWS credentials at all; the template it wrote. */
async function packaged(args: string[]): Promise<Template> {
  const out = await mkdtemp(join(tmpdir(), 'zego-package-'));
  dirs.push(out);
  const env = { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'none' };
  await run('npx', ['serverless', 'package', '--stage', 'ci', '--package', out, ...args], { env });
  return JSON.parse(await readFile(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
}

beforeAll(async () => {
  template = await packaged(['--param', `callbackSecretParam=${CUSTOM_SECRET_PARAM}`]);
  dir = dirs[0] as string;
});
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const resource = (name: string): Resource => {
  const found = template.Resources[name];
  if (!found) throw new Error(`no resource ${name}`);
  return found;
};
const ofType = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);
/** The role's unconditional statements (the X-Ray one is an Fn::If, tested on its own). */
const statements = (role: string): Statement[] =>
  resource(role)
    .Properties.Policies.flatMap(
      (p: { PolicyDocument: { Statement: Statement[] } }) => p.PolicyDocument.Statement,
    )
    .filter((statement: Statement) => 'Effect' in statement);
const actions = (statement: Statement) => [statement.Action].flat();

describe('the packaged stack', () => {
  it('has a FIFO queue without content-based de-duplication, redriving to a FIFO DLQ', () => {
    const queue = resource('CallbackQueue').Properties;
    expect(queue).toMatchObject({ FifoQueue: true, ContentBasedDeduplication: false });
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': ['CallbackDeadLetterQueue', 'Arn'] },
      maxReceiveCount: 5,
    });
    expect(resource('CallbackDeadLetterQueue').Properties).toMatchObject({ FifoQueue: true });
  });

  it('subscribes the consumer to the queue with ReportBatchItemFailures', () => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(1);
    const [, mapping] = mappings[0] ?? [];
    expect(mapping?.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': ['CallbackQueue', 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      FunctionName: { 'Fn::GetAtt': ['ConsumerLambdaFunction', 'Arn'] },
    });
  });

  it('routes POST /zego/callback to ingest and outputs the callback URL', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);
    expect(routes).toEqual(['POST /zego/callback']);
    expect(JSON.stringify(template.Outputs.CallbackUrl?.Value)).toContain('/zego/callback');
  });

  it('lets ingest only send to its queue and read its own secret parameter', () => {
    expect(resource('IngestLambdaFunction').Properties.Role).toEqual({ 'Fn::GetAtt': ['IngestRole', 'Arn'] });
    const granted = statements('IngestRole');
    expect(granted.map(actions)).toEqual([
      ['logs:CreateLogStream', 'logs:PutLogEvents'],
      ['sqs:SendMessage'],
      ['ssm:GetParameter'],
    ]);
    expect(granted.every((s) => s.Effect === 'Allow')).toBe(true);
    expect(granted[1]?.Resource).toEqual({ 'Fn::GetAtt': ['CallbackQueue', 'Arn'] });
    expect(JSON.stringify(granted[2]?.Resource)).toContain(`:parameter${CUSTOM_SECRET_PARAM}`);
    // The one wildcard: log streams within its own log group.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub expression
    expect(granted[0]?.Resource).toEqual({ 'Fn::Sub': '${IngestLogGroup.Arn}:*' });
    expect(granted.flatMap(actions).filter((action) => action.includes('*'))).toEqual([]);
    expect(granted.filter((s) => s.Resource === '*')).toEqual([]);
  });

  it('gives each function its own role', () => {
    expect(resource('ConsumerLambdaFunction').Properties.Role).toEqual({
      'Fn::GetAtt': ['ConsumerRole', 'Arn'],
    });
    expect(
      ofType('AWS::IAM::Role')
        .map(([name]) => name)
        .sort(),
    ).toEqual(['ConsumerRole', 'IngestRole', 'OrphansRole']);
    expect(resource('OrphansLambdaFunction').Properties.Role).toEqual({
      'Fn::GetAtt': ['OrphansRole', 'Arn'],
    });
  });

  it('passes the stage parameter for the secret name to ingest', () => {
    expect(resource('IngestLambdaFunction').Properties.Environment.Variables).toMatchObject({
      ZEGO_CALLBACK_SECRET_PARAM: CUSTOM_SECRET_PARAM,
      QUEUE_URL: { Ref: 'CallbackQueue' },
    });
  });

  it('runs on the Node.js major that .ci/run tests on, on arm64, with log retention', async () => {
    const ciNode = /LAMBDA_NODE=(\d+)\./.exec(
      await readFile(join(__dirname, '..', '..', '.ci', 'run'), 'utf8'),
    )?.[1];
    for (const [, fn] of ofType('AWS::Lambda::Function')) {
      expect(fn.Properties.Runtime).toMatch(/^nodejs(22|24)\.x$/);
      expect(fn.Properties.Runtime).toBe(`nodejs${ciNode}.x`);
      expect(fn.Properties.Architectures).toEqual(['arm64']);
    }
    const logGroups = ofType('AWS::Logs::LogGroup');
    expect(logGroups.length).toBeGreaterThanOrEqual(2);
    for (const [, group] of logGroups) expect(group.Properties.RetentionInDays).toEqual(expect.any(Number));
  });

  it('has on-demand tables with TTL for the consumer', () => {
    expect(resource('IdempotencyTable').Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiration' },
    });
    expect(resource('TasksTable').Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'appid', KeyType: 'HASH' },
        { AttributeName: 'task_id', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' },
    });
  });

  it('lets the consumer only read its queue and use its two tables', () => {
    const granted = statements('ConsumerRole');
    expect(granted.map((s) => [actions(s), s.Resource])).toEqual([
      [['logs:CreateLogStream', 'logs:PutLogEvents'], { 'Fn::Sub': `\${ConsumerLogGroup.Arn}:*` }],
      [
        ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        { 'Fn::GetAtt': ['CallbackQueue', 'Arn'] },
      ],
      [
        ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        { 'Fn::GetAtt': ['IdempotencyTable', 'Arn'] },
      ],
      [['dynamodb:UpdateItem', 'dynamodb:GetItem'], { 'Fn::GetAtt': ['TasksTable', 'Arn'] }],
    ]);
    expect(granted.every((s) => s.Effect === 'Allow')).toBe(true);
  });

  it('gives the consumer its table names and retention settings', () => {
    expect(resource('ConsumerLambdaFunction').Properties.Environment.Variables).toMatchObject({
      TASKS_TABLE: { Ref: 'TasksTable' },
      IDEMPOTENCY_TABLE: { Ref: 'IdempotencyTable' },
      IDEMPOTENCY_DAYS: '7',
      TASK_RETENTION_DAYS: '90',
    });
  });

  it('bundles ingest with esbuild: minified, with a source map', async () => {
    const { stdout } = await run('unzip', ['-l', join(dir, 'ingest.zip')]);
    expect(stdout).toContain('functions/ingest.js');
    expect(stdout).toContain('functions/ingest.js.map');
    expect(stdout).not.toContain('node_modules');
    const { stdout: code } = await run('unzip', ['-p', join(dir, 'ingest.zip'), 'functions/ingest.js'], {
      maxBuffer: 64 * 1024 * 1024,
    });
    // Minified: unminified code averages ~30 characters a line; newlines survive here only inside
    // template literals.
    const lines = code.split('\n');
    expect(code.length / lines.length).toBeGreaterThan(2_000);
    expect(code).toContain('mix_stop');
  });

  it('raises alarms to an SNS topic, each with a threshold from its stage parameter', () => {
    const alarms = Object.fromEntries(
      ofType('AWS::CloudWatch::Alarm').map(([name, r]) => [name, r.Properties]),
    );
    const expected: Record<string, [string, string, number]> = {
      DeadLettersAlarm: ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 0],
      IngestFailuresAlarm: ['ZegoMixCallbacks', 'CallbackFailed', 1],
      UnauthorizedAlarm: ['ZegoMixCallbacks', 'CallbackUnauthorized', 5],
      ProcessingFailuresAlarm: ['ZegoMixCallbacks', 'ProcessingFailed', 5],
      OldestMessageAlarm: ['AWS/SQS', 'ApproximateAgeOfOldestMessage', 600],
      OrphanedTasksAlarm: ['ZegoMixCallbacks', 'OrphanedTasks', 0],
    };
    expect(Object.keys(alarms).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, [namespace, metric, threshold]] of Object.entries(expected)) {
      expect(alarms[name], name).toMatchObject({
        Namespace: namespace,
        MetricName: metric,
        Threshold: threshold,
      });
      expect(alarms[name]?.AlarmActions, name).toEqual([{ Ref: 'AlarmTopic' }]);
    }
    expect(alarms.DeadLettersAlarm?.Dimensions).toEqual([
      { Name: 'QueueName', Value: { 'Fn::GetAtt': ['CallbackDeadLetterQueue', 'QueueName'] } },
    ]);
    // Our metrics' alarms use exactly the dimensions the functions publish (lib/metrics.ts).
    expect(alarms.IngestFailuresAlarm?.Dimensions).toEqual([
      { Name: 'service', Value: 'zego-mix-callbacks' },
      { Name: 'function', Value: 'ingest' },
    ]);
    expect(resource('AlarmTopic').Type).toBe('AWS::SNS::Topic');
    expect(resource('AlarmEmailSubscription')).toMatchObject({
      Condition: 'HasAlarmEmail',
      Properties: { Protocol: 'email' },
    });
  });

  it('has a dashboard of callbacks by outcome, ack latency, queue and DLQ depth, tasks and orphans', () => {
    const body = JSON.stringify(resource('Dashboard').Properties.DashboardBody);
    for (const shown of [
      'CallbackAccepted',
      'CallbackRejected',
      'CallbackFailed',
      'Latency',
      'p99',
      'ApproximateNumberOfMessagesVisible',
      'ApproximateAgeOfOldestMessage',
      'DeadLetterQueueName',
      'RunningTasks',
      'OrphanedTasks',
      'MixStopped',
    ]) {
      expect(body, shown).toContain(shown);
    }
    // The body is JSON once CloudFormation substitutes it.
    const [template] = resource('Dashboard').Properties.DashboardBody['Fn::Sub'];
    expect(() => JSON.parse(template.replace(/\$\{[^}]+\}/g, 'x'))).not.toThrow();
  });

  it('runs the orphan check on a schedule, reading only the running-tasks index', () => {
    const [, rule] = ofType('AWS::Events::Rule')[0] ?? [];
    expect(rule?.Properties.ScheduleExpression).toBe('rate(15 minutes)');
    expect(resource('OrphansLambdaFunction').Properties.Environment.Variables).toMatchObject({
      TASKS_TABLE: { Ref: 'TasksTable' },
      ORPHAN_AFTER_MINUTES: '240',
    });
    const granted = statements('OrphansRole');
    expect(granted.map((s) => [actions(s), s.Resource])).toEqual([
      [['logs:CreateLogStream', 'logs:PutLogEvents'], { 'Fn::Sub': `\${OrphansLogGroup.Arn}:*` }],
      [['dynamodb:Scan'], { 'Fn::Sub': `\${TasksTable.Arn}/index/running` }],
      [['dynamodb:UpdateItem'], { 'Fn::GetAtt': ['TasksTable', 'Arn'] }],
    ]);
    expect(resource('TasksTable').Properties.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'running',
        KeySchema: [
          { AttributeName: 'appid', KeyType: 'HASH' },
          { AttributeName: 'runningSince', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
  });

  it('traces with X-Ray only when the tracing parameter says Active', async () => {
    expect(template.Conditions.TracingEnabled).toEqual({ 'Fn::Equals': ['PassThrough', 'Active'] });
    expect(resource('IngestLambdaFunction').Properties.TracingConfig).toEqual({ Mode: 'PassThrough' });
    const traced = await packaged(['--param', 'tracing=Active']);
    expect(traced.Conditions.TracingEnabled).toEqual({ 'Fn::Equals': ['Active', 'Active'] });
    for (const fn of ['IngestLambdaFunction', 'ConsumerLambdaFunction', 'OrphansLambdaFunction']) {
      expect(traced.Resources[fn]?.Properties.TracingConfig, fn).toEqual({ Mode: 'Active' });
    }
    const xray = JSON.stringify(traced.Resources.IngestRole?.Properties.Policies);
    expect(xray).toContain('"Fn::If":["TracingEnabled"');
    expect(xray).toContain('xray:PutTraceSegments');
  });
});
