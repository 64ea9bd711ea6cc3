import { describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE } from '../../lib/metrics';
import { deployed, options, type Template, template } from '../support/stack-template';

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
