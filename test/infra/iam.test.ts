import { describe, expect, it } from 'vitest';
import {
  actions,
  CUSTOM_SECRET_PARAM,
  ofType,
  options,
  resource,
  statements,
  template,
} from '../support/stack-template';

describe('the packaged stack', () => {
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
});
