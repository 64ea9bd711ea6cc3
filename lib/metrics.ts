import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** CloudWatch namespace of every metric here; the alarms and the dashboard read it. */
export const METRICS_NAMESPACE = 'ZegoMixCallbacks';

/**
 * Every metric the functions publish, with its unit. The alarms and the dashboard in
 * serverless.yml name these; the infra test checks that every name they use is one of them.
 */
export const METRICS = {
  // ingest
  CallbackReceived: MetricUnit.Count,
  CallbackAccepted: MetricUnit.Count,
  CallbackRejected: MetricUnit.Count,
  CallbackUnauthorized: MetricUnit.Count,
  CallbackForged: MetricUnit.Count,
  CallbackFailed: MetricUnit.Count,
  EnqueueLatency: MetricUnit.Milliseconds,
  CallbackLag: MetricUnit.Seconds,
  // consumer
  CallbackProcessed: MetricUnit.Count,
  MixStarted: MetricUnit.Count,
  /** A mix_start for a running run: ZEGO updated the mix; onMixUpdated ran. */
  MixUpdated: MetricUnit.Count,
  MixStopped: MetricUnit.Count,
  MixDuration: MetricUnit.Seconds,
  DuplicateSuppressed: MetricUnit.Count,
  StaleCallback: MetricUnit.Count,
  IgnoredEvent: MetricUnit.Count,
  ProcessingFailed: MetricUnit.Count,
  InProgressElsewhere: MetricUnit.Count,
  PoisonMessage: MetricUnit.Count,
  /** A reconciliation stopped a task ZEGO no longer knows: onMixStopped ran with `inferred: true`. */
  MixReconciled: MetricUnit.Count,
  /** A reconciliation found the task already stopped or started again: nothing done. */
  ReconcileStale: MetricUnit.Count,
  /** A further mix_stop of a stopped run (StopMix called twice, or after a reconciled stop): recorded, no hook. */
  StopRecorded: MetricUnit.Count,
  // consumer and orphans, publishing on (lib/events)
  /** A run event EventBridge took (PutEvents). */
  EventsPublished: MetricUnit.Count,
  /** A run event not published (refused, too large, EventBridge unreachable): its record or report is retried; its alarm watches it. */
  EventPublishFailed: MetricUnit.Count,
  // orphans
  RunningTasks: MetricUnit.Count,
  OrphanedTasks: MetricUnit.Count,
  NewOrphans: MetricUnit.Count,
  /** Running tasks due for a look that a check left to the next one (out of time, ZEGO or SQS failing). */
  CheckDeferred: MetricUnit.Count,
  /** Published at the end of each check that completes: the heartbeat its alarm watches. */
  OrphanCheckCompleted: MetricUnit.Count,
  /** Tasks looked up with ZEGO's GetMixTaskInfo in a check (published 0 too, when reconciliation is on). */
  ReconcileLookups: MetricUnit.Count,
  /** Of those, tasks with no answer this check (errors, throttling, unknown codes): its alarm watches it. */
  ReconcileLookupsFailed: MetricUnit.Count,
  /**
   * Running tasks whose id no URL can ask about (too long, not text): never looked up, not counted
   * failed (no alarm), never stopped by reconciliation; the orphan report covers them.
   */
  ReconcileUnaskable: MetricUnit.Count,
  /** Tasks ZEGO no longer knows, queued for the consumer to stop. */
  ReconcileEnqueued: MetricUnit.Count,
} as const satisfies Record<string, (typeof MetricUnit)[keyof typeof MetricUnit]>;

export type MetricName = keyof typeof METRICS;

/** The functions, each the value of the `function` dimension of its metrics. */
export type FunctionName = 'ingest' | 'consumer' | 'orphans';

/**
 * Metrics of one function of one stage, as CloudWatch Embedded Metric Format log lines. Base
 * metrics carry the service, the function and the stage as dimensions, so one alarm covers all apps
 * of its stage and none of another stage's; `breakdown` publishes a metric with one more dimension
 * (appid, reason) for the dashboard.
 */
export function createMetrics(fn: FunctionName, stage: string): Metrics {
  return new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: 'zego-mix-callbacks',
    defaultDimensions: { function: fn, stage },
  });
}

/** Adds one value of a metric, in its unit (a count of 1 by default). */
export function metric(metrics: Metrics, name: MetricName, value = 1): void {
  metrics.addMetric(name, METRICS[name], value);
}

/**
 * The single-metric instance of each Metrics, made on first use and kept: a new one per call (a new
 * Metrics with its own Console) was ~8% of ingest's CPU per callback (BENCHMARKS.md). It publishes
 * at once and clears its dimensions after each metric, so nothing carries over between calls.
 */
const singles = new WeakMap<Metrics, Metrics>();

/** A count with one extra dimension, published on its own line so it does not reshape the rest. */
export function breakdown(metrics: Metrics, name: MetricName, dimension: string, value: string): void {
  let single = singles.get(metrics);
  if (!single) {
    single = metrics.singleMetric();
    singles.set(metrics, single);
  }
  try {
    single.addDimension(dimension, value);
    single.addMetric(name, METRICS[name], 1);
  } finally {
    single.clearDimensions(); // already clear once published; this covers a throw before that
  }
}
