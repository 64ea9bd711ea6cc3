import type { Metrics } from '@aws-lambda-powertools/metrics';
import { onTestFinished, vi } from 'vitest';
import { createMetrics } from '../../lib/metrics';

export interface Emitted {
  namespace: string;
  name: string;
  values: number[];
  unit: string;
  dimensions: Record<string, string>;
}

/**
 * Real Powertools metrics whose Embedded Metric Format output the calling test reads: `emitted()`
 * publishes what is stored and returns every metric written so far, single metrics included.
 */
export function capturedMetrics(
  fn: 'ingest' | 'consumer' | 'orphans' = 'ingest',
  stage = 'test',
): {
  metrics: Metrics;
  emitted: () => Emitted[];
} {
  const output = capturedStdout();
  const metrics = createMetrics(fn, stage);
  return {
    metrics,
    emitted: () => {
      metrics.publishStoredMetrics();
      return parseEmf(output());
    },
  };
}

/** Everything written to stdout from now until the calling test ends (and not shown). */
export function capturedStdout(): () => string {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  onTestFinished(() => spy.mockRestore());
  return () => lines.join('');
}

/** The dimensions every metric carries (lib/metrics.ts). */
const BASE_DIMENSIONS = ['service', 'function', 'stage'];

/** The metrics in Embedded Metric Format lines, one entry per metric and line. */
export function parseEmf(output: string): Emitted[] {
  return output
    .split('\n')
    .filter((line) => line.includes('"_aws"'))
    .flatMap((line) => {
      const blob = JSON.parse(line);
      const [directive] = blob._aws.CloudWatchMetrics;
      const dimensions = Object.fromEntries((directive.Dimensions[0] as string[]).map((d) => [d, blob[d]]));
      return (directive.Metrics as { Name: string; Unit: string }[]).map((m) => ({
        namespace: directive.Namespace,
        name: m.Name,
        unit: m.Unit,
        values: [blob[m.Name]].flat(),
        dimensions,
      }));
    });
}

/** Sum of a metric's values with exactly these extra dimensions (beyond service, function and stage). */
export function total(emitted: Emitted[], name: string, extra: Record<string, string> = {}): number {
  return emitted
    .filter((m) => m.name === name)
    .filter((m) => {
      const keys = Object.keys(m.dimensions).filter((k) => !BASE_DIMENSIONS.includes(k));
      return keys.length === Object.keys(extra).length && keys.every((k) => m.dimensions[k] === extra[k]);
    })
    .reduce((sum, m) => sum + m.values.reduce((a, b) => a + b, 0), 0);
}
