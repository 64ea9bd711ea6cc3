import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished, vi } from 'vitest';
import { main } from '../../../cli/main';
import type { PipelineInfo } from '../../../tools/local-stack/pipeline';
import { writeLocalState } from '../../../tools/local-stack/state-file';

/** `zego <argv>` in this process: its exit code and what it printed. */
export async function zego(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args) => void out.push(args.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...args) => void err.push(args.join(' ')));
  try {
    const code = await main(argv);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

/** Points the CLI at a state file of its own (ZEGO_LOCAL_STATE) for the calling test. */
export function localStateFileForTest(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'zego-cli-')), 'stack.json');
  vi.stubEnv('ZEGO_LOCAL_STATE', file);
  onTestFinished(() => {
    vi.unstubAllEnvs();
  });
  return file;
}

/** A running `npm start` as its state file tells it, with this secret. */
export function runningStack(secret: string, file = localStateFileForTest()): PipelineInfo {
  const info: PipelineInfo = {
    callbackUrl: 'http://localhost:1/zego/callback',
    region: 'us-east-1',
    sqsEndpoint: 'http://127.0.0.1:2',
    dynamoEndpoint: 'http://127.0.0.1:3',
    queueUrl: 'http://sqs.us-east-1.localhost:2/000000000000/local-CallbackQueue.fifo',
    deadLetterQueueUrl: 'http://sqs.us-east-1.localhost:2/000000000000/local-CallbackDeadLetterQueue.fifo',
    refusedQueueUrl: 'http://sqs.us-east-1.localhost:2/000000000000/local-RefusedCallbacksQueue.fifo',
    tasksTable: 'local-TasksTable',
    idempotencyTable: 'local-IdempotencyTable',
    signaturesTable: 'local-SignaturesTable',
    secret,
  };
  writeLocalState(info, file);
  return info;
}
