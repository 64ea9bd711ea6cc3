import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { parseAppIds, parseSecretBook, type SecretBook, secretsFor } from '../lib/zego/secrets';
import { LOCAL_DEV_SECRET, LOCAL_PORTS } from '../tools/local-stack/defaults';
import { localCredentials } from '../tools/local-stack/engines';
import type { PipelineInfo } from '../tools/local-stack/pipeline';
import { readLocalState } from '../tools/local-stack/state-file';
import { CommandFailedError, UsageError } from './args';
import { awsProblem, stageRegion } from './aws';

/** The service name in serverless.yml; deployed resource names derive from it and the stage. */
export const SERVICE = 'zego-mix-callbacks';

/** What a deployed stage's tables and queues are named (serverless.yml; test/infra checks they agree). */
export function deployedNames(stage: string) {
  return {
    tasksTable: `${SERVICE}-${stage}-tasks`,
    queue: `${SERVICE}-${stage}-callbacks.fifo`,
    deadLetterQueue: `${SERVICE}-${stage}-callbacks-dlq.fifo`,
    refusedQueue: `${SERVICE}-${stage}-refused`,
  };
}

/** Where a command acts: the running `npm start`, or a deployed stage. */
export interface Target {
  description: string;
  /** The tasks table's client. */
  dynamo: DynamoDBClient;
  sqs: SQSClient;
  tasksTable: string;
  queueUrl: () => Promise<string>;
  deadLetterQueueUrl: () => Promise<string>;
  /** Bodies refused for reusing another body's signature. */
  refusedQueueUrl: () => Promise<string>;
  local: boolean;
}

export const TARGET_OPTIONS = { stage: { type: 'string' }, region: { type: 'string' } } as const;

export const TARGET_HELP = `Target (default: the stack \`npm start\` runs):
  --stage S       a deployed stage instead (AWS credentials from the usual places)
  --region R      its region (default: AWS_REGION, AWS_DEFAULT_REGION or your profile's)`;

export function resolveTarget({ stage, region }: { stage?: string; region?: string }): Target {
  if (stage) {
    const names = deployedNames(stage);
    const aws = { region: stageRegion(region) };
    const sqs = new SQSClient(aws);
    const queueUrl = async (name: string) => {
      try {
        const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
        if (!QueueUrl) throw new Error('no URL');
        return QueueUrl;
      } catch (error) {
        throw new CommandFailedError(
          awsProblem(error) ?? `queue ${name} not found in stage ${stage}: ${(error as Error).message}`,
        );
      }
    };
    return {
      description: `stage ${stage}`,
      dynamo: new DynamoDBClient(aws),
      sqs,
      tasksTable: names.tasksTable,
      queueUrl: () => queueUrl(names.queue),
      deadLetterQueueUrl: () => queueUrl(names.deadLetterQueue),
      refusedQueueUrl: () => queueUrl(names.refusedQueue),
      local: false,
    };
  }
  const info = runningLocalStack();
  const aws = { region: info.region, credentials: localCredentials, maxAttempts: 1 };
  return {
    description: 'the local stack',
    dynamo: new DynamoDBClient({ ...aws, endpoint: info.dynamoEndpoint }),
    sqs: new SQSClient({ ...aws, endpoint: info.sqsEndpoint, useQueueUrlAsEndpoint: false }),
    tasksTable: info.tasksTable,
    queueUrl: async () => info.queueUrl,
    deadLetterQueueUrl: async () => info.deadLetterQueueUrl,
    refusedQueueUrl: async () => info.refusedQueueUrl,
    local: true,
  };
}

/** What the running `npm start` wrote (its state file); fails with the next step when none runs. */
export function runningLocalStack({ localOnly = false } = {}): PipelineInfo {
  const info = readLocalState();
  if (!info) {
    const elsewhere = localOnly ? '' : ' (or name a deployed --stage)';
    throw new CommandFailedError(
      `the local stack is not running: start it with \`npm start\` in another terminal${elsewhere}`,
    );
  }
  return info;
}

/** The callback URL of the running local stack, or the default one. */
export function localCallbackUrl(): string {
  return readLocalState()?.callbackUrl ?? `http://localhost:${LOCAL_PORTS.http}/zego/callback`;
}

/** The secret a command signs or verifies with, and where it came from (never the secret itself). */
export function signingSecret(flag: string | undefined, env: NodeJS.ProcessEnv = process.env) {
  if (flag !== undefined) return { secret: flag, source: '--secret' };
  if (env.ZEGO_CALLBACK_SECRET) return { secret: env.ZEGO_CALLBACK_SECRET, source: 'ZEGO_CALLBACK_SECRET' };
  const running = readLocalState()?.secret;
  if (running) return { secret: running, source: "the running `npm start`'s secret" };
  return { secret: LOCAL_DEV_SECRET, source: 'the local development secret' };
}

/**
 * The one secret to sign a callback of `appid` with, from a secret spec as the endpoint reads it: a
 * plain secret (or several, new first), or a per-appid JSON book. The first (current) one of the
 * appid's, or a sentence naming the appids the book has.
 */
export function secretForAppid(spec: string, source: string, appid: string): string {
  let book: SecretBook;
  try {
    book = parseSecretBook(spec, { allowAnyApp: true });
  } catch (error) {
    throw new UsageError(`${source} is not a secret the endpoint could read: ${(error as Error).message}`);
  }
  const [secret] = secretsFor(book, parseAppIds(appid)[0] ?? appid); // the book's keys: no leading zeros
  if (secret === undefined) {
    throw new UsageError(
      `${source} has no secret for appid ${appid}; give --appid one of ${[...book.keys()].join(', ')}`,
    );
  }
  return secret;
}

/** Turns an SDK failure into a sentence: no credentials or region, the local stack not answering. */
export function explainAwsError(error: unknown, target: Target): never {
  const problem = awsProblem(error);
  if (problem) throw new CommandFailedError(problem);
  const code = (error as { code?: string }).code ?? (error as Error).name;
  if (target.local && (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(String((error as Error).message)))) {
    throw new CommandFailedError('the local stack does not answer: is `npm start` still running?');
  }
  throw new CommandFailedError(`${target.description}: ${(error as Error).message}`);
}
