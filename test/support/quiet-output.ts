/**
 * Loaded before every test file (vitest.config.mts `setupFiles`): keeps what the handlers write for
 * CloudWatch off the terminal, so a passing run is a screen of results.
 *
 * - Metric lines (CloudWatch Embedded Metric Format, `{"_aws":...}`): Powertools Metrics writes them
 *   straight to process.stdout, past vitest's console capture, a few thousand per run.
 * - Powertools' "No application metrics to publish" warning, from an invocation that ends before it
 *   counted anything: the fault tests time the consumer out on purpose (middy answers just before the
 *   Lambda timeout, while the record is still being retried), and on AWS that invocation would log it too.
 *
 * The filter sits under the tests' own capture: `capturedStdout`, `capturedMetrics` and
 * `capturedLogger` spy on `write` on top of it and still see every line. Everything else passes.
 */
export const METRIC_LINE = /^\{"_aws":/;
export const EMPTY_METRICS_WARNING = /^No application metrics to publish\./;

/** Makes `stream` drop the lines that match `hidden`; a chunk may hold several lines. */
export function hideLines(stream: NodeJS.WriteStream, hidden: RegExp): void {
  const write = stream.write.bind(stream) as (chunk: string | Uint8Array, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (!text.split('\n').some((line) => hidden.test(line))) return write(chunk, ...rest);
    const kept = text
      .split(/(?<=\n)/)
      .filter((line) => !hidden.test(line))
      .join('');
    if (kept) return write(kept, ...rest);
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof stream.write;
}

hideLines(process.stdout, METRIC_LINE);
hideLines(process.stderr, EMPTY_METRICS_WARNING);
