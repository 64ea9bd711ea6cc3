import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** CloudWatch namespace of every metric here; the alarms and the dashboard read it. */
export const METRICS_NAMESPACE = 'ZegoMixCallbacks';

/**
 * Metrics of one function, as CloudWatch Embedded Metric Format log lines. Base metrics carry
 * only the service and the function as dimensions, so one alarm covers all apps; `breakdown`
 * publishes a metric with one more dimension (appid, reason) for the dashboard.
 */
export function createMetrics(fn: 'ingest' | 'consumer' | 'orphans'): Metrics {
  return new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: 'zego-mix-callbacks',
    defaultDimensions: { function: fn },
  });
}

export function count(metrics: Metrics, name: string, value = 1): void {
  metrics.addMetric(name, MetricUnit.Count, value);
}

export function seconds(metrics: Metrics, name: string, value: number): void {
  metrics.addMetric(name, MetricUnit.Seconds, value);
}

export function milliseconds(metrics: Metrics, name: string, value: number): void {
  metrics.addMetric(name, MetricUnit.Milliseconds, value);
}

/** A count with one extra dimension, published on its own line so it does not reshape the rest. */
export function breakdown(metrics: Metrics, name: string, dimension: string, value: string): void {
  const single = metrics.singleMetric();
  single.addDimension(dimension, value);
  single.addMetric(name, MetricUnit.Count, 1);
}
