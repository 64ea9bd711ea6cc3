import { describe, expect, it, vi } from 'vitest';
import { capturedStdout } from '../../support/metrics';
import { EMPTY_METRICS_WARNING, hideLines, METRIC_LINE } from '../../support/quiet-output';

/** A stream whose writes land in `written`. */
function fakeStream() {
  const written: string[] = [];
  const stream = {
    write: (chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

const metricLine = '{"_aws":{"Timestamp":1,"CloudWatchMetrics":[]},"service":"s"}\n';

describe('the test output filter', () => {
  it('drops metric lines and passes every other line', () => {
    const { stream, written } = fakeStream();
    hideLines(stream, METRIC_LINE);
    stream.write(metricLine);
    stream.write('✓ a test\n');
    stream.write(Buffer.from(metricLine));
    stream.write(`before\n${metricLine}after\n`);
    expect(written.join('')).toBe('✓ a test\nbefore\nafter\n');
  });

  it('calls the write callback of a dropped line', () => {
    const { stream } = fakeStream();
    hideLines(stream, METRIC_LINE);
    const done = vi.fn();
    expect(stream.write(metricLine, done)).toBe(true);
    expect(done).toHaveBeenCalledOnce();
  });

  it("drops Powertools' empty-metrics warning only", () => {
    const { stream, written } = fakeStream();
    hideLines(stream, EMPTY_METRICS_WARNING);
    stream.write('No application metrics to publish. The cold-start metric may be published if enabled.\n');
    stream.write('No application could be reached\n');
    expect(written).toEqual(['No application could be reached\n']);
  });

  it("leaves every metric line to the tests' own capture", () => {
    const output = capturedStdout();
    process.stdout.write(metricLine);
    expect(output()).toBe(metricLine);
  });
});
