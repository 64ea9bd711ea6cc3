import { describe, expect, it } from 'vitest';
import {
  API,
  deployed,
  METRIC_ALARMS,
  ofType,
  options,
  ours,
  resource,
  type Template,
  THRESHOLDS,
  template,
} from '../support/stack-template';

describe('the packaged stack', () => {
  it('raises each alarm on its metric, under the dimensions that metric is published with', () => {
    const alarms = Object.fromEntries(
      ofType('AWS::CloudWatch::Alarm').map(([name, r]) => [name, r.Properties]),
    );
    expect(Object.keys(alarms).sort()).toEqual(
      [
        ...Object.keys(METRIC_ALARMS),
        'RefusedRequestsAlarm',
        'OrphanCheckHeartbeatAlarm',
        'EventPublishFailuresAlarm', // metric math; test/infra/events.test.ts
      ].sort(),
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
    expect(alarms(options)).toHaveLength(18); // with reconciliation's and run events'
    for (const [name, alarm] of alarms(template)) {
      expect(alarm?.AlarmActions, name).toEqual([{ Ref: 'AlarmTopic' }]);
      expect(alarm, name).not.toHaveProperty('OKActions');
    }
    for (const [name, alarm] of alarms(options)) {
      expect(alarm?.AlarmActions, name).toEqual([{ Ref: 'AlarmTopic' }]);
      expect(alarm?.OKActions, name).toEqual([{ Ref: 'AlarmTopic' }]);
    }
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
});
