import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { runScheduledCheck } from '../../lib/check/scheduled-check';
import { METRICS, METRICS_NAMESPACE } from '../../lib/metrics';
import { QUEUE_MAX_MESSAGE_BYTES } from '../../lib/queue/message';
import { RUNNING_INDEX, RUNNING_INDEX_ATTRIBUTES, runningShard } from '../../lib/store/task-item';
import { readStack } from '../../tools/local-stack/stack-definition';
import { capturedMetrics } from '../support/metrics';
import { userPackageListing } from '../support/packaged-stacks';
import {
  API,
  actions,
  CERTIFICATE,
  CUSTOM_SECRET_PARAM,
  DOMAIN,
  deployed,
  HEARTBEAT,
  holds,
  METRIC_ALARMS,
  ofType,
  options,
  ours,
  output,
  packageDir,
  resource,
  SERVER_SECRET_PARAM,
  type Statement,
  statements,
  type Template,
  THRESHOLDS,
  template,
} from '../support/stack-template';

const run = promisify(execFile);

describe('packaging for the tests', () => {
  it("leaves the user's .serverless/ (from npm run package) as it was", async () => {
    expect(await userPackageListing()).toEqual(inject('packagedStacks').userPackageBefore);
  });
});

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

  it('lets ingest only send to its queue and the refused one, bind signatures and read its own secret parameter', () => {
    expect(resource('IngestLambdaFunction').Properties.Role).toEqual({ 'Fn::GetAtt': ['IngestRole', 'Arn'] });
    const granted = statements('IngestRole');
    expect(granted.map(actions)).toEqual([
      ['logs:CreateLogStream', 'logs:PutLogEvents'],
      ['sqs:SendMessage'],
      ['sqs:SendMessage'],
      ['dynamodb:PutItem'],
      ['ssm:GetParameter'],
    ]);
    expect(granted.every((s) => s.Effect === 'Allow')).toBe(true);
    expect(granted[1]?.Resource).toEqual({ 'Fn::GetAtt': ['CallbackQueue', 'Arn'] });
    // A body refused for reusing a signature is kept for the operator, apart from the DLQ.
    expect(granted[2]?.Resource).toEqual({ 'Fn::GetAtt': ['RefusedCallbacksQueue', 'Arn'] });
    expect(granted[3]?.Resource).toEqual({ 'Fn::GetAtt': ['SignaturesTable', 'Arn'] });
    expect(JSON.stringify(granted[4]?.Resource)).toContain(`:parameter${CUSTOM_SECRET_PARAM}`);
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

  it('runs on Node.js 24, the major .ci/run tests on and esbuild targets, on arm64, with log retention', async () => {
    const ciNode = /LAMBDA_NODE=(\d+)\./.exec(
      await readFile(join(__dirname, '..', '..', '.ci', 'run'), 'utf8'),
    )?.[1];
    expect(ciNode).toBe('24');
    const functions = ofType('AWS::Lambda::Function');
    expect(functions).toHaveLength(3);
    for (const [, fn] of functions) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Runtime).toBe(`nodejs${ciNode}.x`);
      expect(fn.Properties.Architectures).toEqual(['arm64']);
    }
    // The bundle's language level (not in the template): serverless.yml's custom.esbuild.
    expect(readStack()).toMatchObject({ custom: { esbuild: { target: `node${ciNode}` } } });
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
      [['sqs:SendMessage'], { 'Fn::GetAtt': ['CallbackDeadLetterQueue', 'Arn'] }],
      [
        ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        { 'Fn::GetAtt': ['IdempotencyTable', 'Arn'] },
      ],
      [['dynamodb:UpdateItem', 'dynamodb:GetItem'], { 'Fn::GetAtt': ['TasksTable', 'Arn'] }],
    ]);
    expect(granted.every((s) => s.Effect === 'Allow')).toBe(true);
  });

  it('binds signatures in a table of their own that forgets them by TTL', () => {
    expect(resource('SignaturesTable').Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'signature', KeyType: 'HASH' }],
      TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' },
    });
    expect(resource('IngestLambdaFunction').Properties.Environment.Variables).toMatchObject({
      SIGNATURES_TABLE: { Ref: 'SignaturesTable' },
      REFUSED_QUEUE_URL: { Ref: 'RefusedCallbacksQueue' },
      ZEGO_MAX_CLOCK_SKEW_SECONDS: '300',
      ZEGO_APP_IDS: '',
    });
  });

  it('outputs what the smoke test reads (cli/commands/smoke.ts)', () => {
    for (const output of [
      'CallbackUrl',
      'CallbackSecretParameter',
      'TasksTableName',
      'IdempotencyTableName',
      'SignaturesTableName',
    ]) {
      expect(template.Outputs[output], output).toBeDefined();
    }
    expect(template.Outputs.ServedAppIds?.Value).toBe('appids:');
  });

  it('keeps refused bodies 14 days in a queue of their own, encrypted, apart from the DLQ no redrive reads', () => {
    expect(resource('RefusedCallbacksQueue').Properties).toEqual({
      QueueName: expect.stringMatching(/-ci-refused$/),
      MessageRetentionPeriod: 1_209_600,
      MaximumMessageSize: QUEUE_MAX_MESSAGE_BYTES,
      SqsManagedSseEnabled: true,
    });
    expect(template.Outputs.RefusedCallbacksQueueUrl?.Value).toEqual({ Ref: 'RefusedCallbacksQueue' });
  });

  it('caps the queues at the message size ingest checks before answering', () => {
    for (const queue of ['CallbackQueue', 'CallbackDeadLetterQueue', 'RefusedCallbacksQueue']) {
      expect(resource(queue).Properties.MaximumMessageSize, queue).toBe(QUEUE_MAX_MESSAGE_BYTES);
    }
  });

  it('gives the consumer its table names, its dead-letter queue and retention settings', () => {
    expect(resource('ConsumerLambdaFunction').Properties.Environment.Variables).toMatchObject({
      TASKS_TABLE: { Ref: 'TasksTable' },
      DEAD_LETTER_QUEUE_URL: { Ref: 'CallbackDeadLetterQueue' },
      IDEMPOTENCY_TABLE: { Ref: 'IdempotencyTable' },
      IDEMPOTENCY_DAYS: '7',
      TASK_RETENTION_DAYS: '90',
    });
  });

  it('bundles ingest with esbuild: minified, with a source map', async () => {
    const { stdout } = await run('unzip', ['-l', join(packageDir, 'ingest.zip')]);
    expect(stdout).toContain('functions/ingest.js');
    expect(stdout).toContain('functions/ingest.js.map');
    expect(stdout).not.toContain('node_modules');
    const { stdout: code } = await run(
      'unzip',
      ['-p', join(packageDir, 'ingest.zip'), 'functions/ingest.js'],
      {
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    // Minified: unminified code averages ~30 characters a line; newlines survive here only inside
    // template literals.
    const lines = code.split('\n');
    expect(code.length / lines.length).toBeGreaterThan(2_000);
    expect(code).toContain('mix_stop');
  });

  it('raises each alarm on its metric, under the dimensions that metric is published with', () => {
    const alarms = Object.fromEntries(
      ofType('AWS::CloudWatch::Alarm').map(([name, r]) => [name, r.Properties]),
    );
    expect(Object.keys(alarms).sort()).toEqual(
      [...Object.keys(METRIC_ALARMS), 'RefusedRequestsAlarm', 'OrphanCheckHeartbeatAlarm'].sort(),
    );
    for (const [name, [namespace, metric, dimensions, statistic, missing]] of Object.entries(METRIC_ALARMS)) {
      expect(alarms[name], name).toMatchObject({
        Namespace: namespace,
        MetricName: metric,
        Statistic: statistic,
        TreatMissingData: missing,
      });
      expect(alarms[name]?.Dimensions, name).toEqual(dimensions);
    }
    // The Lambda alarms name functions of this stack.
    for (const fn of ['Ingest', 'Consumer', 'Orphans']) {
      expect(resource(`${fn}LambdaFunction`).Type).toBe('AWS::Lambda::Function');
    }
    expect(resource('AlarmTopic').Type).toBe('AWS::SNS::Topic');
    expect(resource('AlarmEmailSubscription')).toMatchObject({
      Condition: 'HasAlarmEmail',
      Properties: { Protocol: 'email' },
    });
  });

  it('takes each threshold from its stage parameter', () => {
    for (const [name, [param, byDefault, option]] of Object.entries(THRESHOLDS)) {
      expect(resource(name).Properties.Threshold, `${name} (${param})`).toBe(byDefault);
      expect(Number(options.Resources[name]?.Properties.Threshold), `${name} (${param})`).toBe(option);
    }
    const operators = Object.fromEntries(
      ofType('AWS::CloudWatch::Alarm').map(([name, r]) => [name, r.Properties.ComparisonOperator]),
    );
    expect(operators).toMatchObject({
      DeadLettersAlarm: 'GreaterThanThreshold',
      OrphanedTasksAlarm: 'GreaterThanThreshold',
      OrphanCheckHeartbeatAlarm: 'LessThanThreshold',
    });
    const atLeast = Object.keys(THRESHOLDS).filter(
      (n) => !['DeadLettersAlarm', 'OrphanedTasksAlarm'].includes(n),
    );
    for (const name of atLeast) expect(operators[name], name).toBe('GreaterThanOrEqualToThreshold');
  });

  it('notifies on ALARM only, and on OK too when alarmOkNotifications is true', () => {
    const alarms = (stack: Template) =>
      Object.entries(stack.Resources)
        .filter(([name, r]) => r.Type === 'AWS::CloudWatch::Alarm' && deployed(stack, name))
        .map(([name]) => [name, deployed(stack, name)?.Properties] as const);
    expect(alarms(template)).toHaveLength(16);
    expect(alarms(options)).toHaveLength(17); // with reconciliation's
    for (const [name, alarm] of alarms(template)) {
      expect(alarm?.AlarmActions, name).toEqual([{ Ref: 'AlarmTopic' }]);
      expect(alarm, name).not.toHaveProperty('OKActions');
    }
    for (const [name, alarm] of alarms(options)) {
      expect(alarm?.AlarmActions, name).toEqual([{ Ref: 'AlarmTopic' }]);
      expect(alarm?.OKActions, name).toEqual([{ Ref: 'AlarmTopic' }]);
    }
  });

  it('alarms when the orphan check stops completing, over periods of its schedule', () => {
    const heartbeat = (stack: Template) => stack.Resources.OrphanCheckHeartbeatAlarm?.Properties;
    // No data is the failure: a check that crashes before publishing, or never runs.
    expect(heartbeat(template)).toMatchObject({
      Namespace: 'ZegoMixCallbacks',
      MetricName: HEARTBEAT,
      Dimensions: ours('orphans'),
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      Period: 300,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
    });
    expect(heartbeat(options)).toMatchObject({ Period: 60, EvaluationPeriods: 2, DatapointsToAlarm: 2 });
    // The orphan count has data only when the check runs: one period per run, state kept between.
    expect(resource('OrphanedTasksAlarm').Properties).toMatchObject({
      Period: 300,
      TreatMissingData: 'ignore',
    });
    expect(options.Resources.OrphanedTasksAlarm?.Properties.Period).toBe(60);
    // Lambda does not re-run a failed check (the next scheduled run does).
    const invokeConfigs = ofType('AWS::Lambda::EventInvokeConfig').map(([, r]) => r.Properties);
    expect(invokeConfigs).toEqual([
      expect.objectContaining({ FunctionName: { Ref: 'OrphansLambdaFunction' }, MaximumRetryAttempts: 0 }),
    ]);
  });

  it('alarms on requests API Gateway refused itself: its 4xx less the ones ingest answered', () => {
    const alarm = resource('RefusedRequestsAlarm').Properties;
    expect(alarm).not.toHaveProperty('MetricName');
    expect(alarm.TreatMissingData).toBe('notBreaching');
    const [expression, ...inputs] = alarm.Metrics;
    expect(expression).toEqual({
      Id: 'refused',
      Label: expect.any(String),
      Expression: 'FILL(apiClientErrors, 0) - FILL(ingestRejected, 0)',
      ReturnData: true,
    });
    expect(inputs).toEqual([
      {
        Id: 'apiClientErrors',
        MetricStat: {
          Metric: { Namespace: 'AWS/ApiGateway', MetricName: '4xx', Dimensions: API },
          Period: 300,
          Stat: 'Sum',
        },
        ReturnData: false,
      },
      {
        Id: 'ingestRejected',
        MetricStat: {
          Metric: {
            Namespace: 'ZegoMixCallbacks',
            MetricName: 'CallbackRejected',
            Dimensions: ours('ingest'),
          },
          Period: 300,
          Stat: 'Sum',
        },
        ReturnData: false,
      },
    ]);
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

  it('runs the orphan check every orphanCheckMinutes, reading only the running-tasks index', () => {
    const schedule = (stack: Template) =>
      Object.values(stack.Resources)
        .filter((r) => r.Type === 'AWS::Events::Rule')
        .map((r) => r.Properties.ScheduleExpression);
    expect(schedule(template)).toEqual(['rate(5 minutes)']);
    expect(schedule(options)).toEqual(['rate(1 minute)']); // singular, or EventBridge refuses it
    // A run ends before the next one starts.
    expect(resource('OrphansLambdaFunction').Properties.Timeout).toBe(240);
    expect(options.Resources.OrphansLambdaFunction?.Properties.Timeout).toBe(60);
    expect(resource('OrphansLambdaFunction').Properties.Environment.Variables).toMatchObject({
      TASKS_TABLE: { Ref: 'TasksTable' },
      ORPHAN_AFTER_MINUTES: '240',
    });
    // The consumer gives a new run its first check time, with the check's setting.
    expect(resource('ConsumerLambdaFunction').Properties.Environment.Variables).toMatchObject({
      RECONCILE_AFTER_MINUTES: '10',
    });
    const granted = statements('OrphansRole');
    expect(granted.map((s) => [actions(s), s.Resource])).toEqual([
      [['logs:CreateLogStream', 'logs:PutLogEvents'], { 'Fn::Sub': `\${OrphansLogGroup.Arn}:*` }],
      [['dynamodb:Query'], { 'Fn::Sub': `\${TasksTable.Arn}/index/running-by-shard` }],
      [['dynamodb:GetItem', 'dynamodb:UpdateItem'], { 'Fn::GetAtt': ['TasksTable', 'Arn'] }],
    ]);
    // The index the check reads: sharded, keyed by when each task is due, holding only what it reads.
    expect(deployed(template, 'TasksTable')?.Properties.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: RUNNING_INDEX,
        KeySchema: [
          { AttributeName: 'runningShard', KeyType: 'HASH' },
          { AttributeName: 'checkAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...RUNNING_INDEX_ATTRIBUTES] },
      },
    ]);
    // Upgrading a stage that has the index of earlier versions: kept for one deploy (docs/deploy.md).
    const upgrading = deployed(options, 'TasksTable')?.Properties;
    expect(upgrading?.GlobalSecondaryIndexes.map((index: { IndexName: string }) => index.IndexName)).toEqual([
      RUNNING_INDEX,
      'running',
    ]);
    expect(upgrading?.AttributeDefinitions).toContainEqual({
      AttributeName: 'runningSince',
      AttributeType: 'N',
    });
  });

  it('pre-warms the three tables only when tableWarmWritesPerSecond is set', () => {
    for (const table of ['TasksTable', 'IdempotencyTable', 'SignaturesTable']) {
      expect(deployed(template, table)?.Properties.WarmThroughput, table).toBeUndefined();
      expect(deployed(options, table)?.Properties.WarmThroughput, table).toEqual({
        WriteUnitsPerSecond: 5000,
      });
    }
  });

  it('traces with X-Ray only when the tracing parameter says Active', () => {
    expect(template.Conditions.TracingEnabled).toEqual({ 'Fn::Equals': ['PassThrough', 'Active'] });
    expect(resource('IngestLambdaFunction').Properties.TracingConfig).toEqual({ Mode: 'PassThrough' });
    expect(JSON.stringify(deployed(template, 'IngestRole')?.Properties)).not.toContain('xray:');
    const traced = options;
    expect(traced.Conditions.TracingEnabled).toEqual({ 'Fn::Equals': ['Active', 'Active'] });
    for (const fn of ['IngestLambdaFunction', 'ConsumerLambdaFunction', 'OrphansLambdaFunction']) {
      expect(traced.Resources[fn]?.Properties.TracingConfig, fn).toEqual({ Mode: 'Active' });
    }
    const xray = JSON.stringify(traced.Resources.IngestRole?.Properties.Policies);
    expect(xray).toContain('"Fn::If":["TracingEnabled"');
    expect(JSON.stringify(deployed(traced, 'IngestRole')?.Properties)).toContain('xray:PutTraceSegments');
  });

  it('throttles the route with apiThrottleRate and apiThrottleBurst', () => {
    const settings = (stack: Template) => stack.Resources.HttpApiStage?.Properties.DefaultRouteSettings;
    expect(settings(template)).toEqual({
      DetailedMetricsEnabled: false,
      ThrottlingRateLimit: 250,
      ThrottlingBurstLimit: 500,
    });
    expect(settings(options)).toMatchObject({ ThrottlingRateLimit: '50', ThrottlingBurstLimit: '80' });
    expect(options.Resources.HttpApiStage?.Properties.ApiId).toEqual({ Ref: 'HttpApi' });
  });

  it('reserves concurrency only when asked (0 is no reservation, never a disabled function)', () => {
    const reserved = (stack: Template, fn: string) =>
      deployed(stack, `${fn}LambdaFunction`)?.Properties.ReservedConcurrentExecutions;
    expect(reserved(template, 'Ingest')).toBeUndefined();
    expect(reserved(template, 'Consumer')).toBeUndefined();
    expect(reserved(template, 'Orphans')).toBeUndefined();
    expect(reserved(options, 'Ingest')).toBe(20);
    expect(reserved(options, 'Consumer')).toBe(24);
    expect(reserved(options, 'Orphans')).toBeUndefined();
    const maximum = (stack: Template) =>
      Object.values(stack.Resources).find((r) => r.Type === 'AWS::Lambda::EventSourceMapping')?.Properties
        .ScalingConfig;
    expect(maximum(template)).toEqual({ MaximumConcurrency: 10 });
    expect(maximum(options)).toEqual({ MaximumConcurrency: 20 });
  });

  it('keeps the tables and their data on removal and replacement, unless keepTables is false', () => {
    for (const table of ['TasksTable', 'IdempotencyTable']) {
      expect(template.Resources[table], table).toMatchObject({
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
      expect(options.Resources[table], table).toMatchObject({
        DeletionPolicy: 'Delete',
        UpdateReplacePolicy: 'Delete',
      });
    }
  });

  it('names account-global resources per region: the dashboard; IAM names left to CloudFormation', () => {
    const dashboard = resource('Dashboard').Properties.DashboardName;
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub expression
    expect(dashboard).toEqual({ 'Fn::Sub': 'zego-mix-callbacks-ci-${AWS::Region}' });
    const globalNames: Record<string, string> = {
      'AWS::IAM::Role': 'RoleName',
      'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
      'AWS::IAM::InstanceProfile': 'InstanceProfileName',
      'AWS::S3::Bucket': 'BucketName',
      'AWS::CloudWatch::Dashboard': 'DashboardName',
    };
    for (const stack of [template, options]) {
      for (const [name, r] of Object.entries(stack.Resources)) {
        const property = globalNames[r.Type];
        if (!property || r.Properties?.[property] === undefined) continue;
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub expression
        expect(JSON.stringify(r.Properties[property]), name).toContain('${AWS::Region}');
      }
    }
  });

  it('serves the callback on a custom domain only when one is given', () => {
    expect(deployed(template, 'CallbackDomain')).toBeUndefined();
    expect(deployed(template, 'CallbackDomainMapping')).toBeUndefined();
    expect(output(template, 'CallbackDomainTarget')).toBeUndefined();
    expect(output(template, 'CallbackDomainHostedZoneId')).toBeUndefined();
    expect(output(template, 'CallbackUrl')).toEqual({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub expression
      'Fn::Sub': 'https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/zego/callback',
    });

    expect(deployed(options, 'CallbackDomain')?.Properties).toEqual({
      DomainName: DOMAIN,
      DomainNameConfigurations: [
        { CertificateArn: CERTIFICATE, EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' },
      ],
    });
    expect(deployed(options, 'CallbackDomainMapping')?.Properties).toEqual({
      DomainName: { Ref: 'CallbackDomain' },
      ApiId: { Ref: 'HttpApi' },
      Stage: { Ref: 'HttpApiStage' },
    });
    expect(options.Resources.HttpApiStage?.Type).toBe('AWS::ApiGatewayV2::Stage');
    expect(output(options, 'CallbackUrl')).toBe(`https://${DOMAIN}/zego/callback`);
    expect(output(options, 'CallbackDomainTarget')).toEqual({
      'Fn::GetAtt': ['CallbackDomain', 'RegionalDomainName'],
    });
    expect(output(options, 'CallbackDomainHostedZoneId')).toEqual({
      'Fn::GetAtt': ['CallbackDomain', 'RegionalHostedZoneId'],
    });
  });
});

describe('reconciliation with ZEGO’s server API', () => {
  const orphansEnv = (stack: Template) =>
    stack.Resources.OrphansLambdaFunction?.Properties.Environment.Variables;
  /** The orphans role's statements as deployed (each Fn::If decided). */
  const granted = (stack: Template): Statement[] =>
    deployed(stack, 'OrphansRole')?.Properties.Policies.flatMap(
      (p: { PolicyDocument: { Statement: Statement[] } }) => p.PolicyDocument.Statement,
    );

  it('is off by default: no ServerSecret parameter, no grant to read one or to send, no alarm, no output', () => {
    expect(holds(template, 'ReconciliationEnabled')).toBe(false);
    expect(orphansEnv(template)).toMatchObject({
      ZEGO_SERVER_SECRET_PARAM: '',
      ZEGO_SERVER_API_ENDPOINT: 'https://rtc-api.zego.im',
      RECONCILE_AFTER_MINUTES: '10',
    });
    const actionsGranted = granted(template).flatMap(actions);
    expect(actionsGranted).not.toContain('ssm:GetParameter');
    expect(actionsGranted).not.toContain('sqs:SendMessage');
    expect(deployed(template, 'ReconcileLookupsFailingAlarm')).toBeUndefined();
    expect(output(template, 'ServerSecretParameter')).toBeUndefined();
  });

  it('is on with serverSecretParam: the orphans function reads only that parameter and sends only to the callback queue', () => {
    expect(holds(options, 'ReconciliationEnabled')).toBe(true);
    expect(orphansEnv(options)).toMatchObject({
      ZEGO_SERVER_SECRET_PARAM: SERVER_SECRET_PARAM,
      ZEGO_SERVER_API_ENDPOINT: 'https://rtc-api-sgp.zego.im',
      RECONCILE_AFTER_MINUTES: '5',
      QUEUE_URL: { Ref: 'CallbackQueue' },
      ZEGO_APP_IDS: '',
      ZEGO_SECRET_CACHE_SECONDS: '300',
    });
    const extra = granted(options).filter(
      (s) => !granted(template).some((t) => JSON.stringify(t) === JSON.stringify(s)),
    );
    expect(
      extra
        .filter((s) => !actions(s).some((a) => a.startsWith('xray:')))
        .map((s) => [actions(s), s.Resource]),
    ).toEqual([
      [
        ['ssm:GetParameter'],
        {
          'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${SERVER_SECRET_PARAM}`,
        },
      ],
      [['sqs:SendMessage'], { 'Fn::GetAtt': ['CallbackQueue', 'Arn'] }],
    ]);
    expect(output(options, 'ServerSecretParameter')).toBe(SERVER_SECRET_PARAM);
  });

  it('alarms on lookups failing in alarmReconcileFailedChecks checks in a row, over periods of the check', () => {
    const alarm = (stack: Template) => stack.Resources.ReconcileLookupsFailingAlarm;
    expect(alarm(template)?.Condition).toBe('ReconciliationEnabled');
    expect(alarm(template)?.Properties).toMatchObject({
      MetricName: 'ReconcileLookupsFailed',
      Period: 300,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      // Published every check while on (0 included); a period with no check keeps the state.
      TreatMissingData: 'ignore',
    });
    expect(deployed(options, 'ReconcileLookupsFailingAlarm')?.Properties).toMatchObject({
      Period: 60,
      EvaluationPeriods: '4',
      DatapointsToAlarm: '4',
      OKActions: [{ Ref: 'AlarmTopic' }],
    });
  });

  it('charts stops by reconciliation and failed lookups on the dashboard', () => {
    const body = JSON.stringify(resource('Dashboard').Properties.DashboardBody);
    expect(body).toContain('MixReconciled');
    expect(body).toContain('ReconcileLookupsFailed');
  });
});

describe('the orphan check heartbeat', () => {
  const table = new DynamoDBClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const dynamo = mockClient(table);
  afterAll(() => dynamo.restore());
  const orphan = {
    appid: '1',
    task_id: 't',
    status: 'running',
    seq: '1',
    runId: '1:t:1',
    runningSince: 0,
    runningShard: runningShard('1', 't'),
    checkAt: 0,
    updatedAt: '',
  };
  /** A tasks table holding `tasks`, as the running index and GetItem answer for them. */
  const holding = (...tasks: (typeof orphan)[]) => {
    dynamo.reset();
    dynamo.on(QueryCommand).callsFake((input: QueryCommandInput) => {
      const shard = Number(input.ExpressionAttributeValues?.[':shard']?.N);
      const items = tasks.filter((task) => task.runningShard === shard).map((task) => marshall(task));
      return { Items: items, Count: items.length };
    });
    dynamo.on(GetItemCommand).resolves({ Item: tasks[0] && marshall(tasks[0]) });
  };
  const check = (onMixOrphaned: () => Promise<void>) => {
    // The stage this file packages: the alarm reads its metrics only.
    const { metrics, emitted } = capturedMetrics('orphans', 'ci');
    const run = runScheduledCheck({
      table: { tableName: 'tasks', client: table },
      orphanAfterSeconds: 60,
      hooks: { onMixOrphaned },
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics,
      now: () => 3_600_000,
    });
    return { run, emitted };
  };
  const heartbeats = (emitted: ReturnType<typeof capturedMetrics>['emitted']) =>
    emitted().filter((m) => m.name === HEARTBEAT);

  it('is published once per completed run, under the dimensions its alarm reads', async () => {
    holding();
    const { run, emitted } = check(async () => {});
    await run;
    const alarm = resource('OrphanCheckHeartbeatAlarm').Properties;
    const published = heartbeats(emitted);
    expect(published).toHaveLength(1);
    expect(published[0]?.values).toEqual([1]);
    expect(published[0]?.dimensions).toEqual(
      Object.fromEntries(alarm.Dimensions.map((d: { Name: string; Value: string }) => [d.Name, d.Value])),
    );
    expect(alarm.MetricName).toBe(published[0]?.name);
  });

  it('is not published by a run that fails', async () => {
    holding(orphan);
    const { run, emitted } = check(async () => {
      throw new Error('pager down');
    });
    await expect(run).rejects.toThrow(/scheduled check failed/);
    const published = emitted().map((m) => m.name);
    expect(published).toContain('OrphanedTasks');
    expect(published).not.toContain(HEARTBEAT);
  });
});

describe('two stages in one account', () => {
  /** Every dimension set an alarm of `stack` reads on our namespace, metric math included. */
  const alarmDimensions = (stack: Template) =>
    Object.values(stack.Resources)
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
      .flatMap((alarm) => [
        ...(alarm.Properties.Namespace === METRICS_NAMESPACE ? [alarm.Properties.Dimensions] : []),
        ...(alarm.Properties.Metrics ?? [])
          .map(
            (m: { MetricStat?: { Metric: { Namespace: string; Dimensions: unknown } } }) =>
              m.MetricStat?.Metric,
          )
          .filter((m: { Namespace?: string } | undefined) => m?.Namespace === METRICS_NAMESPACE)
          .map((m: { Dimensions: unknown }) => m.Dimensions),
      ]) as { Name: string; Value: string }[][];
  /** The stage of each dashboard row on our namespace, a "." taking the value above it. */
  const dashboardStages = (stack: Template) => {
    const dashboard = deployed(stack, 'Dashboard');
    if (!dashboard) throw new Error('no dashboard');
    const [body] = dashboard.Properties.DashboardBody['Fn::Sub'];
    const widgets = JSON.parse(String(body).replace(/\$\{[^}]+\}/g, 'x')).widgets as {
      properties: { metrics?: unknown[][] };
    }[];
    return widgets.flatMap(({ properties }) => {
      let above: unknown[] = [];
      return (properties.metrics ?? []).flatMap((row) => {
        const full = row.map((cell, i) => (cell === '.' ? above[i] : cell));
        above = full;
        return full[0] === METRICS_NAMESPACE ? [full[full.indexOf('stage') + 1]] : [];
      });
    });
  };

  it('keep their metrics apart: every alarm and dashboard row of one reads only its own stage', () => {
    for (const [stack, stage, other] of [
      [template, 'ci', 'ci-all'],
      [options, 'ci-all', 'ci'],
    ] as const) {
      const sets = alarmDimensions(stack);
      expect(sets.length).toBeGreaterThan(5);
      for (const dimensions of sets) {
        // An alarm matches a metric's dimensions exactly: with its stage in them, never another's.
        expect(dimensions).toContainEqual({ Name: 'stage', Value: stage });
        expect(dimensions).not.toContainEqual({ Name: 'stage', Value: other });
      }
      const rows = dashboardStages(stack);
      expect(rows.length).toBeGreaterThan(3);
      expect(new Set(rows)).toEqual(new Set([stage]));
      // Each function learns its stage from the stack: the dimension it publishes under.
      for (const fn of ['IngestLambdaFunction', 'ConsumerLambdaFunction', 'OrphansLambdaFunction']) {
        expect(stack.Resources[fn]?.Properties.Environment.Variables.STAGE, fn).toBe(stage);
      }
    }
  });
});

describe('metric names', () => {
  it('are, in every alarm and dashboard widget on our namespace, ones the functions publish (lib/metrics.ts)', () => {
    const published = new Set(Object.keys(METRICS));
    const alarmed = ofType('AWS::CloudWatch::Alarm')
      .map(([, alarm]) => alarm.Properties)
      .filter((alarm) => alarm.Namespace === METRICS_NAMESPACE)
      .map((alarm) => alarm.MetricName);
    const math = JSON.stringify(ofType('AWS::CloudWatch::Alarm'))
      .match(/"Namespace":"ZegoMixCallbacks","MetricName":"\w+"/g)
      ?.map((found) => found.split('"').at(-2));
    const [body] = resource('Dashboard').Properties.DashboardBody['Fn::Sub'];
    const widgets = JSON.parse(String(body).replace(/\$\{[^}]+\}/g, 'x')).widgets as {
      properties: { metrics?: unknown[][] };
    }[];
    // A "." in a dashboard metric row repeats the row above's value.
    const charted = widgets.flatMap(({ properties }) => {
      let previous: unknown[] = [];
      return (properties.metrics ?? []).map((row) => {
        const resolved = row.map((value, i) => (value === '.' ? previous[i] : value));
        previous = resolved;
        return resolved;
      });
    });
    const ours = charted.filter(([namespace]) => namespace === METRICS_NAMESPACE).map(([, name]) => name);
    expect(ours.length).toBeGreaterThan(5);
    const names = [...alarmed, ...(math ?? []), ...ours];
    expect(names.length).toBeGreaterThan(10);
    expect(names.filter((name) => !published.has(String(name)))).toEqual([]);
  });
});

describe('stage parameters checked at package time (scripts/stack-params.cjs)', () => {
  type Resolve = { resolveVariable: (variable: string) => Promise<unknown> };
  const params: Record<string, (resolver: Resolve) => Promise<Record<string, unknown>>> = createRequire(
    __filename,
  )('../../scripts/stack-params.cjs');
  const given = (values: Record<string, unknown>): Resolve => ({
    resolveVariable: async (variable) => {
      if (variable === 'self:provider.region') return 'eu-west-1';
      const name = variable.replace(/^param:/, '');
      if (!(name in values)) throw new Error(`unexpected ${variable}`);
      return values[name];
    },
  });
  const call = (name: string, values: Record<string, unknown>) => {
    const fn = params[name];
    if (!fn) throw new Error(`stack-params.cjs has no ${name}`);
    return fn(given(values));
  };
  const concurrency = {
    ingestReservedConcurrency: 0,
    consumerReservedConcurrency: 0,
    consumerMaxConcurrency: 5,
  };

  it('derives the schedule and alarm period from orphanCheckMinutes, and refuses what EventBridge or CloudWatch would', async () => {
    expect(await call('orphanCheck', { orphanCheckMinutes: 1 })).toEqual({
      schedule: 'rate(1 minute)',
      periodSeconds: 60,
      timeoutSeconds: 60,
    });
    expect(await call('orphanCheck', { orphanCheckMinutes: 5 })).toMatchObject({ timeoutSeconds: 240 });
    expect(await call('orphanCheck', { orphanCheckMinutes: '720' })).toEqual({
      schedule: 'rate(720 minutes)',
      periodSeconds: 43_200,
      timeoutSeconds: 900,
    });
    for (const bad of [0, 721, '1.5', 'rate(5 minutes)', '']) {
      await expect(call('orphanCheck', { orphanCheckMinutes: bad }), String(bad)).rejects.toThrow(
        /orphanCheckMinutes must be a whole number from 1 to 720/,
      );
    }
  });

  it('maps keepTables to a policy, and refuses anything but true or false', async () => {
    const keep = { keepPreviousRunningIndex: false, tableWarmWritesPerSecond: 0 };
    expect(await call('tables', { ...keep, keepTables: true })).toEqual({
      policy: 'Retain',
      keepPreviousRunningIndex: 'false',
      warm: 'false',
      warmWritesPerSecond: 4_000,
    });
    expect(await call('tables', { ...keep, keepTables: 'false' })).toMatchObject({ policy: 'Delete' });
    expect(
      await call('tables', { ...keep, keepTables: true, keepPreviousRunningIndex: 'true' }),
    ).toMatchObject({
      keepPreviousRunningIndex: 'true',
    });
    await expect(call('tables', { ...keep, keepTables: 'no' })).rejects.toThrow(
      /keepTables must be true or false/,
    );
    await expect(
      call('tables', { ...keep, keepTables: true, keepPreviousRunningIndex: 'yes' }),
    ).rejects.toThrow(/keepPreviousRunningIndex must be true or false/);
    const warm = { keepTables: true, keepPreviousRunningIndex: false };
    expect(await call('tables', { ...warm, tableWarmWritesPerSecond: 0 })).toMatchObject({ warm: 'false' });
    expect(await call('tables', { ...warm, tableWarmWritesPerSecond: '8000' })).toMatchObject({
      warm: 'true',
      warmWritesPerSecond: 8000,
    });
    for (const bad of [100, 3999, 40_001, 'many'])
      await expect(call('tables', { ...warm, tableWarmWritesPerSecond: bad }), String(bad)).rejects.toThrow(
        /tableWarmWritesPerSecond/,
      );
    await expect(call('alarms', { alarmOkNotifications: 'yes' })).rejects.toThrow(/alarmOkNotifications/);
  });

  it('refuses a consumer reservation below its maximum concurrency (throttled receives reach the DLQ)', async () => {
    expect(await call('concurrency', concurrency)).toMatchObject({
      ingestReserves: 'false',
      consumerMaximum: 5,
    });
    expect(await call('concurrency', { ...concurrency, consumerReservedConcurrency: 5 })).toMatchObject({
      consumerReserved: 5,
      consumerReserves: 'true',
    });
    await expect(call('concurrency', { ...concurrency, consumerReservedConcurrency: 4 })).rejects.toThrow(
      /consumerReservedConcurrency \(4\) must be 0 or at least consumerMaxConcurrency \(5\)/,
    );
    await expect(call('concurrency', { ...concurrency, consumerMaxConcurrency: 1 })).rejects.toThrow(
      /consumerMaxConcurrency must be a whole number from 2 to 1000/,
    );
    await expect(call('concurrency', { ...concurrency, ingestReservedConcurrency: -1 })).rejects.toThrow(
      /ingestReservedConcurrency/,
    );
  });

  it('takes a custom domain with a certificate of the stack region, or none', async () => {
    expect(await call('customDomain', { domainName: '', certificateArn: '' })).toMatchObject({
      enabled: 'false',
    });
    expect(await call('customDomain', { domainName: DOMAIN, certificateArn: CERTIFICATE })).toMatchObject({
      enabled: 'true',
    });
    await expect(call('customDomain', { domainName: DOMAIN, certificateArn: '' })).rejects.toThrow(
      /set both/,
    );
    await expect(call('customDomain', { domainName: '', certificateArn: CERTIFICATE })).rejects.toThrow(
      /set both/,
    );
    await expect(
      call('customDomain', {
        domainName: DOMAIN,
        certificateArn: CERTIFICATE.replace('eu-west-1', 'us-east-1'),
      }),
    ).rejects.toThrow(/certificateArn is in us-east-1; the API's regional domain needs one in eu-west-1/);
    await expect(call('customDomain', { domainName: DOMAIN, certificateArn: 'cert-123' })).rejects.toThrow(
      /not an ACM certificate ARN/,
    );
  });
});
