/**
 * `npm run load`: N callbacks through the local pipeline (`npm start` in a child process) as fast
 * as this machine allows, 20% of them sent twice. Prints accepted, rejected, lost (must be 0),
 * double-applied (must be 0), throughput, acknowledgement latency and the time from each POST to
 * its hook starting; exits 1 if anything was lost or applied twice. Not part of `npm test`.
 */
import '../tools/local-stack/quiet-sdk-warning';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_DEV_SECRET } from '../tools/local-stack/defaults';
import { localCredentials } from '../tools/local-stack/engines';
import type { PipelineInfo } from '../tools/local-stack/pipeline';
import { queueDepth } from '../tools/local-stack/queue-depth';
import { percentile } from '../tools/measure';
import { buildCallback, encodeCallback } from '../tools/zego-fake/callbacks';
import { postCallback } from '../tools/zego-fake/delivery';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '32' },
    /** Requests a second at most; 0 sends as fast as the pipeline answers. */
    rate: { type: 'string', default: '0' },
    duplicates: { type: 'string', default: '0.2' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(
    'Usage: npm run load -- [--count 5000] [--concurrency 32] [--duplicates 0.2] [--rate 0 (requests/s, 0: no limit)]',
  );
  process.exit(0);
}
const COUNT = Number(values.count);
const CONCURRENCY = Number(values.concurrency);
const RATE = Number(values.rate);
const DUPLICATES = Number(values.duplicates);

/** The default hooks' first log line, and the event whose hook it starts. */
const HOOK_STARTS: Record<string, string> = { 'mix started': 'mix_start', 'mix stopped': 'mix_stop' };
/** The default onMixStopped's lines, for a stop it was given and for one reconciliation inferred. */
const STOP_HOOK_LINES = new Set(['mix stopped', 'mix stopped (inferred by reconciliation)']);
/** The consumer's line for a mix_stop of a run already stopped (lib/process/process-callback.ts). */
const STOP_AFTER_STOP = 'mix_stop recorded for a run already stopped; onMixStopped is not called again';

async function main() {
  const stateFile = join(mkdtempSync(join(tmpdir(), 'zego-load-')), 'stack.json');
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'start.ts'), '--json-logs'], {
    env: {
      ...process.env,
      ZEGO_LOCAL_STATE: stateFile,
      PORT: '0',
      SQS_PORT: '0',
      DYNAMODB_PORT: '0',
      ZEGO_API_PORT: '0',
      ZEGO_CALLBACK_SECRET: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const processed = new Map<string, number>();
  const stale = new Set<string>();
  /** Stops that came after the scheduled check had already inferred them (see `reconciled first`). */
  const reconciledFirst = new Set<string>();
  /** onMixStopped runs per task, genuine or inferred: each load task runs once, so at most one. */
  const stopHooks = new Map<string, number>();
  /** When each callback's hook started (ms since the epoch), first time only. */
  const hookStarted = new Map<string, number>();
  /** SDK requests that outlived their requestTimeout and were waited on. */
  let slowRequests = 0;
  // The consumer's own account, from its log lines: info on stdout, warnings (stale) on stderr.
  const readLogs = (stream: NodeJS.ReadableStream, echo?: NodeJS.WriteStream) => {
    let pending = '';
    stream.on('data', (chunk) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) {
          // The SDK's own warning when a request outlives requestTimeout on a client that waits on
          // (the consumer's DynamoDB client, by design: lib/store/dynamodb-client.ts): counted.
          if (line.includes('[WARN] a request has exceeded the configured')) slowRequests++;
          else echo?.write(`${line}\n`);
          continue;
        }
        const record = JSON.parse(line);
        const key = `${record.appid}:${record.task_id}:${record.event}:${record.seq}`;
        if (record.message === 'callback processed') processed.set(key, (processed.get(key) ?? 0) + 1);
        if (
          record.message === 'callback stale' ||
          record.message === 'mix_stop stale, no onMixStopped from it'
        )
          stale.add(key);
        if (record.message === STOP_AFTER_STOP && record.stoppedBy === 'reconciliation')
          reconciledFirst.add(key);
        if (STOP_HOOK_LINES.has(record.message as string)) {
          const task = `${record.appid}:${record.task_id}`;
          stopHooks.set(task, (stopHooks.get(task) ?? 0) + 1);
        }
        // The default hooks (lib/hooks.ts) log as they start; the logger stamps the line then.
        const hook = HOOK_STARTS[record.message as string];
        if (hook) {
          const started = `${record.appid}:${record.task_id}:${hook}:${record.seq}`;
          if (!hookStarted.has(started)) hookStarted.set(started, Date.parse(record.timestamp));
        }
        if (record.level === 'ERROR') process.stderr.write(`${line}\n`);
      }
    });
  };
  readLogs(child.stdout); // the banner is not needed here
  readLogs(child.stderr, process.stderr);
  while (!existsSync(stateFile)) {
    if (child.exitCode !== null) throw new Error(`the local stack exited with code ${child.exitCode}`);
    await sleep(100);
  }
  const info: PipelineInfo = JSON.parse(readFileSync(stateFile, 'utf8'));

  // Start/stop pairs of distinct tasks; then 20% of them again, mixed in.
  const base = Date.now();
  const distinct = Array.from({ length: COUNT }, (_, i) => {
    const fields = buildCallback({
      event: i % 2 === 0 ? 'mix_start' : 'mix_stop',
      appid: '111111',
      taskId: `load-${base}-${Math.floor(i / 2)}`,
      seq: String(base + i),
      secret: LOCAL_DEV_SECRET,
    });
    return {
      key: `111111:${fields.task_id}:${fields.event}:${fields.seq}`,
      ...encodeCallback(fields, 'json'),
    };
  });
  const sends = [...distinct];
  for (let i = 0; i < COUNT * DUPLICATES; i++) {
    const duplicate = distinct[Math.floor(Math.random() * COUNT)];
    if (duplicate) sends.splice(Math.floor(Math.random() * sends.length), 0, duplicate);
  }

  const accepted = new Set<string>();
  const latencies: number[] = [];
  /** When each callback was first POSTed, ms since the epoch (the clock the child's logs use). */
  const posted = new Map<string, number>();
  let rejected = 0;
  let failed = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < sends.length) {
        const index = next++;
        const send = sends[index];
        if (!send) continue;
        // Paced: request i leaves no earlier than i / rate seconds after the start.
        const due = RATE > 0 ? started + (index * 1000) / RATE - performance.now() : 0;
        if (due > 0) await sleep(due);
        if (!posted.has(send.key)) posted.set(send.key, Date.now());
        const attempt = await postCallback(info.callbackUrl, send.body, send.contentType, 10_000);
        latencies.push(attempt.ms);
        if (attempt.status === 200) accepted.add(send.key);
        else if (attempt.status && attempt.status < 500) rejected += 1;
        else failed += 1;
      }
    }),
  );
  const sendSeconds = (performance.now() - started) / 1000;

  // Wait for the consumer to drain the queue.
  const sqs = new SQSClient({
    region: info.region,
    endpoint: info.sqsEndpoint,
    credentials: localCredentials,
    useQueueUrlAsEndpoint: false,
  });
  while ((await queueDepth(sqs, info.queueUrl)) > 0) await sleep(250);
  await sleep(500); // the last log lines
  const drainSeconds = (performance.now() - started) / 1000;
  const lost = [...accepted].filter(
    (key) => !processed.has(key) && !stale.has(key) && !reconciledFirst.has(key),
  );
  const doubled = [
    ...[...processed].filter(([, times]) => times > 1),
    ...[...stopHooks].filter(([, times]) => times > 1),
  ];
  const toHook = [...hookStarted].flatMap(([key, at]) => {
    const sent = posted.get(key);
    return sent === undefined ? [] : [at - sent];
  });
  const postToHook =
    toHook.length === 0
      ? 'none seen (the hooks log no "mix started" / "mix stopped" line)'
      : `p50 ${percentile(toHook, 50)} ms, p95 ${percentile(toHook, 95)} ms, p99 ${percentile(toHook, 99)} ms (${toHook.length} hooks; queue wait included)`;

  console.log(`
load: ${sends.length} requests (${COUNT} distinct callbacks, ${sends.length - COUNT} duplicates), ${CONCURRENCY} in flight${RATE > 0 ? `, at most ${RATE}/s` : ''}
  accepted        ${accepted.size} distinct (${latencies.length - rejected - failed} requests answered 200)
  rejected        ${rejected} (4xx)
  failed          ${failed} (5xx or no answer; ZEGO would retry)
  lost            ${lost.length}   (accepted, never processed: must be 0)
  double-applied  ${doubled.length}   (processed, or a task's onMixStopped run, more than once: must be 0)
  stale           ${stale.size}   (a start that reached the queue after its own stop, with many in flight: recorded, no hook; not a loss)
  reconciled first ${reconciledFirst.size}   (a stop sent over 15 s after its start, e.g. behind an early duplicate of the start: the check asked the fake ZEGO API, which knows no load task, and inferred the stop; the stop is recorded and onMixStopped ran once; not a loss)
  throughput      ${(sends.length / sendSeconds).toFixed(0)} requests/s acknowledged; all processed after ${drainSeconds.toFixed(1)} s (${(accepted.size / drainSeconds).toFixed(0)} callbacks/s end to end)
  ack latency     p50 ${percentile(latencies, 50)} ms, p95 ${percentile(latencies, 95)} ms, p99 ${percentile(latencies, 99)} ms
  POST to hook    ${postToHook}
  slow requests   ${slowRequests}   (SDK requests that outlived their requestTimeout; the consumer's DynamoDB client waits on rather than fail a write DynamoDB may have applied)
`);
  sqs.destroy();
  child.kill('SIGINT');
  await new Promise((resolve) => child.once('exit', resolve));
  process.exit(lost.length > 0 || doubled.length > 0 ? 1 : 0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
