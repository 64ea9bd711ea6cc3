import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deduplicationId, messageGroupId } from '../../lib/queue/message-ids';
import { getTask } from '../../lib/store/task-reads';
import { parseCallback } from '../../lib/zego/callback-schema';
import { queueDepth } from '../../tools/local-stack/queue-depth';
import { signedCallback } from '../support/callbacks';
import { type LocalStack, startLocalStack } from '../support/local-stack';
import { queuedBody } from '../support/messages';

const CALLBACKS = 10;
const HOOK_MS = 150; // the callbacks' hooks take 150 ms to 1.5 s
let stack: LocalStack;
const workers: ChildProcess[] = [];
const effectsDir = mkdtempSync(join(tmpdir(), 'zego-kill-'));

beforeAll(async () => {
  // Lambda timeout 4 s (a batch of 10 slow hooks fits), visibility timeout 5 s: as deployed, longer.
  stack = await startLocalStack({ VisibilityTimeout: '5' });
});
afterAll(async () => {
  for (const worker of workers) if (worker.exitCode === null) worker.kill('SIGKILL');
  await stack?.stop();
});

async function startWorker(): Promise<ChildProcess> {
  const worker = spawn(
    process.execPath,
    ['-r', 'tsx/cjs', join(__dirname, '..', 'support', 'consumer-worker.ts')],
    {
      env: {
        ...process.env,
        ...stack.env.consumer,
        QUEUE_URL: stack.queue.url,
        QUEUE_ARN: stack.queue.arn,
        EFFECTS_DIR: effectsDir,
        HOOK_MS: String(HOOK_MS),
        CONSUMER_TIMEOUT_MS: '4000',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  workers.push(worker);
  await new Promise<void>((resolve, reject) => {
    worker.stdout?.on('data', (chunk) => String(chunk).includes('ready') && resolve());
    worker.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
  return worker;
}

const invocations = () =>
  existsSync(join(effectsDir, 'invocations'))
    ? readFileSync(join(effectsDir, 'invocations'), 'utf8').trim().split('\n')
    : [];
const effects = () => readdirSync(effectsDir).filter((name) => name.startsWith('effect-'));

const waitFor = (condition: () => boolean | Promise<boolean>, timeout = 30_000) =>
  expect.poll(condition, { timeout, interval: 50 }).toBe(true);

describe('the consumer killed mid-batch', () => {
  it('processes every callback after redelivery, each with one effect', async () => {
    const fields = Array.from({ length: CALLBACKS }, (_, i) =>
      signedCallback({ task_id: `kill-${i}`, seq: String(500 + i) }),
    );
    await stack.clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: stack.queue.url,
        Entries: fields.map((f, i) => {
          const { callback } = parseCallback(f);
          return {
            Id: String(i),
            MessageBody: queuedBody(f),
            MessageGroupId: messageGroupId(callback),
            MessageDeduplicationId: deduplicationId(callback),
          };
        }),
      }),
    );

    const first = await startWorker();
    await waitFor(() => effects().length >= 3); // mid-batch: some callbacks done, the rest in their hooks
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    // Completed = the idempotency record says so; a hook that returned just before the kill but
    // whose completion was not yet recorded counts as running.
    const startedAtKill = new Set(invocations());
    const { Items = [] } = await stack.clients.dynamo.send(
      new ScanCommand({ TableName: stack.tables.idempotency }),
    );
    const completedAtKill = Items.filter((item) => item.status?.S === 'COMPLETED').length;
    expect(completedAtKill).toBeGreaterThan(0);
    expect(completedAtKill).toBeLessThan(startedAtKill.size);

    await startWorker();
    await waitFor(async () => (await queueDepth(stack.clients.sqs, stack.queue.url)) === 0);

    expect(effects()).toHaveLength(CALLBACKS);
    for (let i = 0; i < CALLBACKS; i++) {
      const task = await getTask('111111', `kill-${i}`, {
        tableName: stack.tables.tasks,
        client: stack.clients.dynamo,
      });
      expect(task).toMatchObject({ status: 'stopped', seq: String(500 + i) });
    }
    // Only callbacks whose processing had started and not completed when the process died ran
    // their hook again.
    const calls = invocations();
    const repeated = new Set(calls.filter((key, index) => calls.indexOf(key) !== index));
    for (const key of repeated) expect(startedAtKill).toContain(key);
    expect(repeated.size).toBeLessThanOrEqual(startedAtKill.size - completedAtKill);
    expect(new Set(calls).size).toBe(CALLBACKS);
  }, 60_000);
});
