import { describe, expect, it } from 'vitest';
import {
  actions,
  deployed,
  holds,
  options,
  output,
  resource,
  SERVER_SECRET_PARAM,
  type Statement,
  type Template,
  template,
} from '../support/stack-template';

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
        // The other options' statements (X-Ray, run events, the hooks' settings) have tests of their own.
        .filter(
          (s) =>
            !actions(s).some(
              (a) => a.startsWith('xray:') || a.startsWith('events:') || a === 'ssm:GetParametersByPath',
            ),
        )
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
