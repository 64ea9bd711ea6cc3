/**
 * One scheduled check as Lambda would run it: a fresh `node` loads the packaged orphans function
 * with the function's memorySize as its heap limit (--max-old-space-size), and invokes its handler
 * once with a scheduled event and a context whose deadline is the function's timeout. The child
 * reports its peak resident memory (process.resourceUsage().maxRSS) and heap on a pipe of its own,
 * every 100 ms and at the end, so a run that dies of its heap limit still has figures.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/** Loads the bundle, invokes it once, reports on fd 3. */
const INVOKE_ONCE = `
const { writeSync } = require('node:fs');
const { getHeapStatistics } = require('node:v8');
let peakHeap = 0;
const report = (fields) => {
  peakHeap = Math.max(peakHeap, getHeapStatistics().used_heap_size);
  writeSync(3, JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS, peakHeap, ...fields }) + '\\n');
};
const sampler = setInterval(report, 100);
const loading = performance.now();
const { handler } = require(process.env.BENCH_BUNDLE);
const timeoutMs = Number(process.env.BENCH_TIMEOUT_MS);
report({ loadedMs: performance.now() - loading });
const started = performance.now();
const deadline = Date.now() + timeoutMs;
const context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'zego-mix-callbacks-bench-orphans',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:zego-mix-callbacks-bench-orphans',
  memoryLimitInMB: process.env.BENCH_MEMORY_MB,
  awsRequestId: crypto.randomUUID(),
  logGroupName: '/aws/lambda/zego-mix-callbacks-bench-orphans',
  logStreamName: 'bench',
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
};
const event = {
  version: '0', id: crypto.randomUUID(), 'detail-type': 'Scheduled Event', source: 'aws.events',
  account: '123456789012', time: new Date().toISOString(), region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:123456789012:rule/bench'], detail: {},
};
const done = (error) => {
  clearInterval(sampler);
  report({ done: true, invokeMs: performance.now() - started, error: error && String(error.message ?? error) });
  process.exit(0);
};
handler(event, context).then(() => done(), done);`;

export interface CheckRun {
  outcome: 'completed' | 'failed' | 'out of memory' | 'timed out' | 'crashed';
  error?: string;
  loadMs?: number;
  /** The invocation, from the call to its end (or to the crash). */
  invokeMs: number;
  maxRssMb: number;
  peakHeapMb: number;
  /** The values of the metrics the run published (EMF), by name. */
  metrics: Record<string, number>;
  /** The check's own summary log line, as it wrote it. */
  summary?: Record<string, unknown>;
  /** `mix orphaned` warnings written (the default onMixOrphaned's). */
  orphanHookLines: number;
}

/** Log lines holding the check's summary, by version: "scheduled check" now, "orphan check" before. */
const SUMMARY_MESSAGES = new Set(['scheduled check', 'orphan check']);

export async function runCheck({
  bundle,
  env,
  memoryMb,
  timeoutSeconds,
}: {
  bundle: string;
  env: NodeJS.ProcessEnv;
  memoryMb: number;
  timeoutSeconds: number;
}): Promise<CheckRun> {
  const child = spawn(process.execPath, [`--max-old-space-size=${memoryMb}`, '-e', INVOKE_ONCE], {
    env: {
      ...env,
      BENCH_BUNDLE: bundle,
      BENCH_TIMEOUT_MS: String(timeoutSeconds * 1000),
      BENCH_MEMORY_MB: String(memoryMb),
    },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  const run: CheckRun = {
    outcome: 'crashed',
    invokeMs: 0,
    maxRssMb: 0,
    peakHeapMb: 0,
    metrics: {},
    orphanHookLines: 0,
  };
  let invokedAt: number | undefined;
  let finished = false;
  lines(child.stdio[3] as Readable, (line) => {
    const sample = JSON.parse(line) as {
      maxRssKb: number;
      peakHeap: number;
      loadedMs?: number;
      done?: boolean;
      invokeMs?: number;
      error?: string;
    };
    run.maxRssMb = Math.max(run.maxRssMb, sample.maxRssKb / 1024);
    run.peakHeapMb = Math.max(run.peakHeapMb, sample.peakHeap / 2 ** 20);
    if (sample.loadedMs !== undefined) {
      run.loadMs = sample.loadedMs;
      invokedAt = performance.now();
    }
    if (sample.done) {
      finished = true;
      run.invokeMs = sample.invokeMs ?? 0;
      run.outcome = sample.error ? 'failed' : 'completed';
      if (sample.error) run.error = sample.error;
      // middy ends a handler still running at the context's deadline, as Lambda ends the invocation.
      if (sample.error && /abort/i.test(sample.error) && run.invokeMs >= timeoutSeconds * 1000 - 1_000)
        run.outcome = 'timed out';
    }
  });
  lines(child.stdout as Readable, (line) => {
    if (!line.startsWith('{')) return;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line);
    } catch {
      return;
    }
    const emf = record._aws as { CloudWatchMetrics?: { Metrics?: { Name: string }[] }[] } | undefined;
    for (const { Name } of emf?.CloudWatchMetrics?.flatMap((set) => set.Metrics ?? []) ?? []) {
      const value = record[Name];
      run.metrics[Name] = Array.isArray(value) ? value.reduce((a, b) => a + b, 0) : Number(value);
    }
    if (typeof record.message === 'string' && SUMMARY_MESSAGES.has(record.message)) run.summary = record;
    if (record.message === 'mix orphaned') run.orphanHookLines += 1;
  });
  let stderr = '';
  (child.stderr as Readable).on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4_000);
  });
  // Lambda stops an invocation at its timeout; a minute more for the load and the engine's pauses.
  const killer = setTimeout(() => child.kill('SIGKILL'), (timeoutSeconds + 60) * 1000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
  );
  clearTimeout(killer);
  if (!finished) {
    run.invokeMs = invokedAt === undefined ? 0 : performance.now() - invokedAt;
    const heap = /heap limit|heap out of memory/i.test(stderr);
    run.outcome = heap ? 'out of memory' : signal === 'SIGKILL' ? 'timed out' : 'crashed';
    if (!heap) run.error = `exit ${code ?? signal}: ${stderr.trim().split('\n').slice(-3).join(' ')}`;
  }
  return run;
}

function lines(stream: Readable, onLine: (line: string) => void): void {
  createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', onLine);
}
