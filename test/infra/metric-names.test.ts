import { describe, expect, it } from 'vitest';
import { METRICS, METRICS_NAMESPACE } from '../../lib/metrics';
import { ofType, resource } from '../support/stack-template';

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
