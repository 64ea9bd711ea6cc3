import { describe, expect, it } from 'vitest';
import {
  deployed,
  HOOK_PARAMETERS_PATH,
  HOOK_POLICY_ARNS,
  options,
  type Statement,
  template,
} from '../support/stack-template';

const HOOK_ROLES = ['ConsumerRole', 'OrphansRole'];
const HOOK_FUNCTIONS = ['ConsumerLambdaFunction', 'OrphansLambdaFunction'];

/** A role's statements as deployed (each Fn::If decided). */
function granted(stack: typeof template, role: string): Statement[] {
  return deployed(stack, role)?.Properties.Policies.flatMap(
    (policy: { PolicyDocument: { Statement: Statement[] } }) => policy.PolicyDocument.Statement,
  );
}

describe('what the hooks may use (docs/hooks.md, "Permissions, settings and secrets")', () => {
  const ssmReads = (stack: typeof template, role: string) =>
    granted(stack, role).filter((s) => [s.Action].flat().some((action) => action.startsWith('ssm:')));

  it('by default: no managed policy, no SSM read, no settings path', () => {
    for (const role of HOOK_ROLES) {
      expect(deployed(template, role)?.Properties.ManagedPolicyArns, role).toEqual([]);
    }
    // The check reads the ServerSecret only when reconciliation is on (not in the defaults).
    expect(ssmReads(template, 'ConsumerRole')).toEqual([]);
    expect(ssmReads(template, 'OrphansRole')).toEqual([]);
    for (const fn of HOOK_FUNCTIONS) {
      expect(deployed(template, fn)?.Properties.Environment.Variables.HOOK_PARAMETERS_PATH, fn).toBe('');
    }
  });

  it('with hookPolicyArns and hookParametersPath: both roles get the policies and read that path alone', () => {
    for (const role of HOOK_ROLES) {
      expect(deployed(options, role)?.Properties.ManagedPolicyArns, role).toEqual(HOOK_POLICY_ARNS);
      const byPath = ssmReads(options, role).filter((s) => s.Action === 'ssm:GetParametersByPath');
      expect(byPath, role).toEqual([
        {
          Effect: 'Allow',
          Action: 'ssm:GetParametersByPath',
          Resource: {
            'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${HOOK_PARAMETERS_PATH}`,
          },
        },
      ]);
    }
    for (const fn of HOOK_FUNCTIONS) {
      expect(deployed(options, fn)?.Properties.Environment.Variables.HOOK_PARAMETERS_PATH, fn).toBe(
        HOOK_PARAMETERS_PATH,
      );
    }
    // Ingest runs no hook.
    expect(deployed(options, 'IngestLambdaFunction')?.Properties.Environment.Variables).not.toHaveProperty(
      'HOOK_PARAMETERS_PATH',
    );
    expect(deployed(options, 'IngestRole')?.Properties).not.toHaveProperty('ManagedPolicyArns');
  });
});

describe('the HTTP API’s access log', () => {
  it('is on by default: JSON lines in its own log group, kept as long as the functions’ logs', () => {
    const group = deployed(template, 'HttpApiLogGroup');
    expect(group?.Properties).toMatchObject({ RetentionInDays: 30 });
    expect(group?.Properties.RetentionInDays).toBe(
      deployed(template, 'IngestLogGroup')?.Properties.RetentionInDays,
    );
    const settings = deployed(template, 'HttpApiStage')?.Properties.AccessLogSettings;
    expect(settings.DestinationArn).toEqual({ 'Fn::GetAtt': ['HttpApiLogGroup', 'Arn'] });
    expect(JSON.parse(settings.Format)).toMatchObject({
      status: '$context.status',
      error: '$context.error.message',
    });
  });

  it('is left out with apiAccessLogs=false', () => {
    expect(options.Resources).not.toHaveProperty('HttpApiLogGroup');
    expect(deployed(options, 'HttpApiStage')?.Properties).not.toHaveProperty('AccessLogSettings');
  });
});

describe('deletion protection of the kept tables', () => {
  it('is off by default (tableDeletionProtection), and never on the signatures table', () => {
    for (const table of ['TasksTable', 'IdempotencyTable']) {
      expect(deployed(template, table)?.Properties.DeletionProtectionEnabled, table).toBe(false);
    }
    expect(deployed(template, 'SignaturesTable')?.Properties).not.toHaveProperty('DeletionProtectionEnabled');
  });
});
