import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DETAIL_TYPES, EVENT_SOURCE } from '../../lib/events/names';
import {
  deployed,
  EXTERNAL_BUS,
  externalBus,
  options,
  output,
  resource,
  type Statement,
  type Template,
  template,
} from '../support/stack-template';

/** The statements of a role as deployed: each Fn::If decided. */
const granted = (stack: Template, role: string): Statement[] =>
  deployed(stack, role)?.Properties.Policies.flatMap(
    (p: { PolicyDocument: { Statement: Statement[] } }) => p.PolicyDocument.Statement,
  ) ?? [];
const putEvents = (stack: Template, role: string) =>
  granted(stack, role).filter((s) => [s.Action].flat().some((action) => action.startsWith('events:')));
const busVariable = (stack: Template, fn: string) =>
  deployed(stack, `${fn}LambdaFunction`)?.Properties.Environment.Variables.EVENT_BUS_NAME;

const dimensions = (fn: string, stage: string) => [
  { Name: 'service', Value: 'zego-mix-callbacks' },
  { Name: 'function', Value: fn },
  { Name: 'stage', Value: stage },
];

describe('run events in the packaged stack', () => {
  it('are off by default: no bus, no archive, no alarm, no PutEvents, an empty EVENT_BUS_NAME', () => {
    for (const name of ['EventBus', 'EventArchive', 'EventPublishFailuresAlarm']) {
      expect(deployed(template, name), name).toBeUndefined();
    }
    for (const role of ['IngestRole', 'ConsumerRole', 'OrphansRole']) {
      expect(putEvents(template, role), role).toEqual([]);
    }
    expect(busVariable(template, 'Consumer')).toBe('');
    expect(busVariable(template, 'Orphans')).toBe('');
    expect(output(template, 'EventBusName')).toBeUndefined();
  });

  it('publish to a bus of the stack’s own, archived for eventArchiveDays, only its own events', () => {
    expect(deployed(options, 'EventBus')?.Properties).toMatchObject({ Name: 'zego-mix-callbacks-ci-all' });
    expect(deployed(options, 'EventArchive')?.Properties).toEqual({
      Description: expect.any(String),
      SourceArn: { 'Fn::GetAtt': ['EventBus', 'Arn'] },
      RetentionDays: 7,
      EventPattern: { source: [EVENT_SOURCE] },
    });
    expect(busVariable(options, 'Consumer')).toEqual({ Ref: 'EventBus' });
    expect(busVariable(options, 'Orphans')).toEqual({ Ref: 'EventBus' });
    expect(output(options, 'EventBusName')).toEqual({ Ref: 'EventBus' });
  });

  it('let the consumer and the check PutEvents on that bus only, and ingest not at all', () => {
    for (const role of ['ConsumerRole', 'OrphansRole']) {
      expect(putEvents(options, role), role).toEqual([
        { Effect: 'Allow', Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': ['EventBus', 'Arn'] } },
      ]);
      expect(putEvents(externalBus, role), role).toEqual([
        {
          Effect: 'Allow',
          Action: 'events:PutEvents',
          Resource: {
            'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:event-bus/${EXTERNAL_BUS}`,
          },
        },
      ]);
    }
    expect(putEvents(options, 'IngestRole')).toEqual([]);
    expect(putEvents(externalBus, 'IngestRole')).toEqual([]);
  });

  it('publish to an existing bus by name: no bus or archive of the stack’s', () => {
    expect(deployed(externalBus, 'EventBus')).toBeUndefined();
    expect(deployed(externalBus, 'EventArchive')).toBeUndefined();
    expect(busVariable(externalBus, 'Consumer')).toBe(EXTERNAL_BUS);
    expect(busVariable(externalBus, 'Orphans')).toBe(EXTERNAL_BUS);
  });

  it('alarm on failed publishes of either function, to the alarm topic, past alarmEventPublishFailures', () => {
    for (const [stack, stage, threshold] of [
      [options, 'ci-all', 3],
      [externalBus, 'ci-bus', 1],
    ] as const) {
      const alarm = deployed(stack, 'EventPublishFailuresAlarm')?.Properties;
      expect(alarm, stage).toMatchObject({
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: 'AlarmTopic' }],
      });
      expect(Number(alarm?.Threshold)).toBe(threshold);
      const metrics = (alarm?.Metrics ?? []) as {
        Id: string;
        Expression?: string;
        MetricStat?: { Metric: { MetricName: string; Dimensions: unknown }; Stat: string };
      }[];
      expect(metrics.find((m) => m.Expression)?.Expression).toBe('FILL(consumer, 0) + FILL(orphans, 0)');
      for (const fn of ['consumer', 'orphans']) {
        expect(metrics.find((m) => m.Id === fn)?.MetricStat, fn).toMatchObject({
          Metric: { MetricName: 'EventPublishFailed', Dimensions: dimensions(fn, stage) },
          Stat: 'Sum',
        });
      }
    }
  });

  it('show on the dashboard: events published and failed, by function', () => {
    const [body] = resource('Dashboard').Properties.DashboardBody['Fn::Sub'];
    const widget = (
      JSON.parse(String(body).replace(/\$\{[^}]+\}/g, 'x')).widgets as {
        properties: { title: string; metrics: unknown[][] };
      }[]
    ).find((w) => w.properties.title.startsWith('Run events'));
    expect(widget?.properties.metrics.map((row) => row.slice(1, 2).concat(row[5]))).toEqual([
      ['EventsPublished', 'consumer'],
      ['.', 'orphans'],
      ['EventPublishFailed', 'consumer'],
      ['.', 'orphans'],
    ]);
  });

  it('name the source and detail-types rules match on once, in lib/events/names.ts', () => {
    expect(EVENT_SOURCE).not.toMatch(/^aws\./);
    expect(Object.values(DETAIL_TYPES)).toEqual([
      'Mix Started',
      'Mix Updated',
      'Mix Stopped',
      'Mix Orphaned',
    ]);
  });
});

describe('the example rules of docs/events.md', () => {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'events.md'), 'utf8');
  const yamlBlocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  /** A pattern's `name: [a, b]` lines (the examples write every list inline), under `pattern` or `EventPattern`. */
  const pattern = (block: string) => {
    const lists = Object.fromEntries(
      [...block.matchAll(/^\s*([\w-]+): \[(.*)\]\s*$/gm)].map(([, name, items]) => [
        name,
        (items ?? '').split(',').map((item) => item.trim().replace(/^"|"$/g, '')),
      ]),
    );
    return { source: lists.source, detailType: lists['detail-type'], appid: lists.appid };
  };
  const matches = (p: ReturnType<typeof pattern>, source: string, detailType: string, appid: string) =>
    (p.source ?? [source]).includes(source) &&
    (p.detailType ?? [detailType]).includes(detailType) &&
    (p.appid ?? [appid]).includes(appid);

  it('match this stack’s events by its source and detail-types: a rule to SQS, and one to a Lambda elsewhere', () => {
    const toQueue = yamlBlocks.find((b) => b.includes('AWS::Events::Rule') && b.includes('AWS::SQS::Queue'));
    const toLambda = yamlBlocks.find((b) => b.includes('eventBridge:') && b.includes('eventBus:'));
    if (!toQueue || !toLambda) throw new Error('docs/events.md lacks an example rule');
    for (const block of [toQueue, toLambda]) {
      const p = pattern(block);
      expect(p.source).toEqual([EVENT_SOURCE]);
      for (const type of p.detailType ?? []) expect(Object.values(DETAIL_TYPES)).toContain(type);
    }
    // The queue's rule takes stops only; the Lambda's takes one app's starts and stops.
    expect(matches(pattern(toQueue), EVENT_SOURCE, DETAIL_TYPES.stopped, '1')).toBe(true);
    expect(matches(pattern(toQueue), EVENT_SOURCE, DETAIL_TYPES.started, '1')).toBe(false);
    expect(matches(pattern(toLambda), EVENT_SOURCE, DETAIL_TYPES.started, '111111')).toBe(true);
    expect(matches(pattern(toLambda), EVENT_SOURCE, DETAIL_TYPES.updated, '111111')).toBe(false);
    expect(matches(pattern(toLambda), EVENT_SOURCE, DETAIL_TYPES.stopped, '222222')).toBe(false);
    // The queue lets EventBridge send only from its rule, on the bus this stack outputs.
    expect(toQueue).toMatch(/EventBusName: !Ref MixEventBus/);
    expect(toQueue).toMatch(/Principal: \{ Service: events\.amazonaws\.com \}/);
    expect(toQueue).toMatch(/aws:SourceArn: !GetAtt MixStopsRule\.Arn/);
    expect(output(options, 'EventBusName')).toEqual({ Ref: 'EventBus' });
  });
});
