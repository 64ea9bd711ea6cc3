/**
 * The benchmark's local stack: the SQS engine in this process, DynamoDB Local in its own (Java)
 * process, as DynamoDB runs elsewhere (dynalite, when there is no Java, would share this process's
 * CPU with the code being measured), with serverless.yml's queues and tables, and the environment
 * the functions read.
 */
import { execFileSync } from 'node:child_process';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoClient } from '../lib/store/dynamodb-client';
import { type DynamoKind, LOCAL_REGION, localCredentials } from '../tools/local-stack/engines';
import { startLocalStack } from '../tools/local-stack/stack';
import type { LocalQueue } from '../tools/local-stack/stack-resources';
import { type FakeSsm, startFakeSsm } from './fake-ssm';
import { BENCH_SECRET } from './fixtures';

export interface BenchStack {
  dynamoKind: DynamoKind;
  sqs: SQSClient;
  dynamo: DynamoDBClient;
  /**
   * The raw conditional puts' client, the floor the issue set: the document client over a client
   * with the consumer's settings as they were then (no cached middleware).
   */
  documents: DynamoDBDocumentClient;
  queue: LocalQueue;
  tables: { tasks: string; idempotency: string; signatures: string };
  /** What a function process reads: the stack's names, local endpoints and credentials. */
  env: NodeJS.ProcessEnv;
  /** What ingest reads instead to take its secret from SSM, as a deployed stage does. */
  deployedSecretEnv: FakeSsm['env'];
  stop: () => Promise<void>;
}

/** The local stack (tools/local-stack) on DynamoDB Local, with a stand-in for SSM. */
export async function startBenchStack(): Promise<BenchStack> {
  const ssm = await startFakeSsm(
    '/zego-mix-callbacks/bench/callback-secret',
    JSON.stringify({ '111111': BENCH_SECRET }),
  );
  const dynamoKind: DynamoKind = hasJava() ? 'dynamodb-local' : 'dynalite';
  const stack = await startLocalStack({ dynamo: dynamoKind, prefix: 'bench-', secret: BENCH_SECRET });
  const documents = DynamoDBDocumentClient.from(
    createDynamoClient({
      region: LOCAL_REGION,
      credentials: localCredentials,
      endpoint: stack.dynamoEndpoint,
      cacheMiddleware: false,
    }),
  );
  return {
    dynamoKind,
    sqs: stack.clients.sqs,
    dynamo: stack.clients.dynamo,
    documents,
    queue: stack.queue,
    tables: stack.tables,
    // One process environment serves either bundle: ingest's and the consumer's variables together.
    env: {
      ...process.env,
      ...stack.env.ingest,
      ...stack.env.consumer,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    deployedSecretEnv: ssm.env,
    stop: async () => {
      documents.destroy();
      await ssm.stop();
      await stack.stop();
    },
  };
}

function hasJava(): boolean {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
