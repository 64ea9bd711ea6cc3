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
}
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

const CUSTOM_SECRET_PARAM = '/custom/zego/secret';
let dir: string;
let template: Template;

/** `serverless package`, as a user runs it, with no AWS credentials at all. */
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'zego-package-'));
  const env = { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'none' };
  await run(
    'npx',
    [
      'serverless',
      'package',
      '--stage',
      'ci',
      '--package',
      dir,
      '--param',
      `callbackSecretParam=${CUSTOM_SECRET_PARAM}`,
    ],
    { env },
  );
  template = JSON.parse(await readFile(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const resource = (name: string): Resource => {
  const found = template.Resources[name];
  if (!found) throw new Error(`no resource ${name}`);
  return found;
};
const ofType = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);
const statements = (role: string): Statement[] =>
  resource(role).Properties.Policies.flatMap(
    (p: { PolicyDocument: { Statement: Statement[] } }) => p.PolicyDocument.Statement,
  );
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
    ).toEqual(['ConsumerRole', 'IngestRole']);
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
});
