import { inject } from 'vitest';
import type { MetricName } from '../../lib/metrics';
import type { Resource, Template } from './packaged-stacks';

/**
 * What the files of test/infra read the packaged stack with: the two templates that
 * test/support/packaged-stacks.ts packaged once for them, the parameters it packaged them with, and
 * readers of CloudFormation.
 */
export {
  CERTIFICATE,
  CUSTOM_SECRET_PARAM,
  DOMAIN,
  EXTERNAL_BUS,
  HOOK_PARAMETERS_PATH,
  HOOK_POLICY_ARNS,
  type Resource,
  SERVER_SECRET_PARAM,
  type Template,
  THRESHOLDS,
} from './packaged-stacks';

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

export const { template, options, externalBus, packageDir } = inject('packagedStacks');

export const HEARTBEAT: MetricName = 'OrphanCheckCompleted';

/**
 * What CloudFormation makes of a value: each Fn::If decided by the template's conditions (all of
 * them constant here: serverless resolved the stage parameters), AWS::NoValue dropped.
 */
function effective(stack: Template, value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map((item) => effective(stack, item)).filter((item) => item !== undefined);
  }
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  if (object.Ref === 'AWS::NoValue') return undefined;
  const branch = object['Fn::If'];
  if (Array.isArray(branch)) {
    const [name, yes, no] = branch;
    return effective(stack, holds(stack, String(name)) ? yes : no);
  }
  return Object.fromEntries(
    Object.entries(object)
      .map(([key, item]) => [key, effective(stack, item)])
      .filter(([, item]) => item !== undefined),
  );
}

export function holds(stack: Template, name: string): boolean {
  const evaluate = (condition: unknown): boolean => {
    const c = condition as Record<string, unknown[]> & { Condition?: string };
    if (c.Condition) return holds(stack, c.Condition);
    if (c['Fn::Equals']) {
      const [a, b] = c['Fn::Equals'];
      if (typeof a === 'object' || typeof b === 'object') throw new Error(`${name} is not constant`);
      return String(a) === String(b);
    }
    if (c['Fn::Not']) return !evaluate(c['Fn::Not'][0]);
    throw new Error(`cannot evaluate condition ${name}: ${JSON.stringify(condition)}`);
  };
  if (!(name in stack.Conditions)) throw new Error(`no condition ${name}`);
  return evaluate(stack.Conditions[name]);
}

/** The resource as deployed: undefined when its condition leaves it out. */
export function deployed(stack: Template, name: string) {
  const found = stack.Resources[name];
  if (!found) throw new Error(`no resource ${name}`);
  if (found.Condition && !holds(stack, found.Condition)) return undefined;
  return { ...found, Properties: effective(stack, found.Properties) as Resource['Properties'] };
}

export const output = (stack: Template, name: string) => {
  const found = stack.Outputs[name];
  if (!found || (found.Condition && !holds(stack, found.Condition))) return undefined;
  return effective(stack, found.Value);
};

/** A resource of the defaults package (stage `ci`), as written. */
export const resource = (name: string): Resource => {
  const found = template.Resources[name];
  if (!found) throw new Error(`no resource ${name}`);
  return found;
};
export const ofType = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);
/** The role's unconditional statements (the X-Ray one is an Fn::If, tested on its own). */
export const statements = (role: string): Statement[] =>
  resource(role)
    .Properties.Policies.flatMap(
      (p: { PolicyDocument: { Statement: Statement[] } }) => p.PolicyDocument.Statement,
    )
    .filter((statement: Statement) => 'Effect' in statement);
export const actions = (statement: Statement) => [statement.Action].flat();

/** The dimensions of our metrics of function `fn` in the stage `ci` (lib/metrics.ts). */
export const ours = (fn: string) => [
  { Name: 'service', Value: 'zego-mix-callbacks' },
  { Name: 'function', Value: fn },
  { Name: 'stage', Value: 'ci' },
];
const lambda = (fn: string) => [{ Name: 'FunctionName', Value: { Ref: `${fn}LambdaFunction` } }];
export const API = [{ Name: 'ApiId', Value: { Ref: 'HttpApi' } }];
const queue = (name: string) => [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [name, 'QueueName'] } }];

/** Each single-metric alarm: namespace, metric, dimensions, statistic, missing data treated as. */
export const METRIC_ALARMS: Record<string, [string, string, unknown[], string, string]> = {
  DeadLettersAlarm: [
    'AWS/SQS',
    'ApproximateNumberOfMessagesVisible',
    queue('CallbackDeadLetterQueue'),
    'Maximum',
    'notBreaching',
  ],
  IngestFailuresAlarm: ['ZegoMixCallbacks', 'CallbackFailed', ours('ingest'), 'Sum', 'notBreaching'],
  UnauthorizedAlarm: ['ZegoMixCallbacks', 'CallbackUnauthorized', ours('ingest'), 'Sum', 'notBreaching'],
  ForgedCallbacksAlarm: ['ZegoMixCallbacks', 'CallbackForged', ours('ingest'), 'Sum', 'notBreaching'],
  ProcessingFailuresAlarm: ['ZegoMixCallbacks', 'ProcessingFailed', ours('consumer'), 'Sum', 'notBreaching'],
  OldestMessageAlarm: [
    'AWS/SQS',
    'ApproximateAgeOfOldestMessage',
    queue('CallbackQueue'),
    'Maximum',
    'notBreaching',
  ],
  OrphanedTasksAlarm: ['ZegoMixCallbacks', 'OrphanedTasks', ours('orphans'), 'Maximum', 'ignore'],
  IngestErrorsAlarm: ['AWS/Lambda', 'Errors', lambda('Ingest'), 'Sum', 'notBreaching'],
  ConsumerErrorsAlarm: ['AWS/Lambda', 'Errors', lambda('Consumer'), 'Sum', 'notBreaching'],
  OrphansErrorsAlarm: ['AWS/Lambda', 'Errors', lambda('Orphans'), 'Sum', 'notBreaching'],
  IngestThrottlesAlarm: ['AWS/Lambda', 'Throttles', lambda('Ingest'), 'Sum', 'notBreaching'],
  ConsumerThrottlesAlarm: ['AWS/Lambda', 'Throttles', lambda('Consumer'), 'Sum', 'notBreaching'],
  OrphansThrottlesAlarm: ['AWS/Lambda', 'Throttles', lambda('Orphans'), 'Sum', 'notBreaching'],
  Api5xxAlarm: ['AWS/ApiGateway', '5xx', API, 'Sum', 'notBreaching'],
  ReconcileLookupsFailingAlarm: [
    'ZegoMixCallbacks',
    'ReconcileLookupsFailed',
    ours('orphans'),
    'Sum',
    'ignore',
  ],
};
