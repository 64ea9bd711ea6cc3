import { Logger } from '@aws-lambda-powertools/logger';
import {
  DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it } from 'vitest';
import { runScheduledCheck } from '../../lib/check/scheduled-check';
import { RUNNING_INDEX, RUNNING_INDEX_ATTRIBUTES, runningShard } from '../../lib/store/task-item';
import { capturedMetrics } from '../support/metrics';
import {
  actions,
  deployed,
  HEARTBEAT,
  ofType,
  options,
  ours,
  resource,
  statements,
  type Template,
  template,
} from '../support/stack-template';

describe('the packaged stack', () => {
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
