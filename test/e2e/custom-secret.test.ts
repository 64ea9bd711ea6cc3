import { statSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNpmStart } from '../support/npm-start';

// `ZEGO_CALLBACK_SECRET=... npm start --port 0` in one terminal, the CLI in another without the
// secret: the CLI signs with the running stack's secret (its state file).
let started: Awaited<ReturnType<typeof startNpmStart>>;

beforeAll(async () => {
  started = await startNpmStart(
    ['--port', '0'],
    { ZEGO_CALLBACK_SECRET: 'a-secret-of-my-own', PORT: '', SQS_PORT: '0', DYNAMODB_PORT: '0' },
    { ZEGO_CALLBACK_SECRET: '' }, // the CLI's terminal never set it
  );
}, 60_000);
afterAll(() => started?.kill());

/** What a TCP connection to host:port gets: 'open', or the error code. */
const reach = (host: string, port: number) =>
  new Promise<string>((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('open');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });

/** An IPv4 address of this machine other than loopback, if it has one. */
const outward = Object.values(networkInterfaces())
  .flat()
  .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;

describe('npm start with a secret of its own, `npm start --port 0` (npm keeps --port)', () => {
  it('takes the port npm passed without its name: a free one, not the default 3000', () => {
    expect(new URL(started.info.callbackUrl).port).not.toBe('3000');
    expect(started.output()).not.toMatch(/Unexpected argument|npm start:/);
  });

  it('keeps the secret in a state file only its owner can read', () => {
    expect(statSync(started.stateFile).mode & 0o777).toBe(0o600);
    expect(started.output()).not.toContain('a-secret-of-my-own');
  });

  it("signs the CLI's callback with the running stack's secret", async () => {
    const { stdout } = await started.zego('send', '--task', 'own-secret', '--event', 'start');
    expect(stdout).toMatch(/#1 {2}200/);
  });

  it('says which secret a refused callback was signed with, and how to give another', async () => {
    const failed = await started
      .zego('send', '--task', 'other-secret', '--secret', 'not-it')
      .catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({
      code: 1,
      stderr:
        "zego send: the callback was not accepted (HTTP 401). It was signed with --secret: give the endpoint's secret with --secret or ZEGO_CALLBACK_SECRET.\n",
    });
  });

  it.runIf(outward)('serves the endpoint and both engines on loopback only', async () => {
    const ports = [started.info.callbackUrl, started.info.sqsEndpoint, started.info.dynamoEndpoint].map(
      (url) => Number(new URL(url).port),
    );
    for (const port of ports) {
      expect(await reach('127.0.0.1', port), `127.0.0.1:${port}`).toBe('open');
      expect(await reach(outward as string, port), `${outward}:${port}`).toBe('ECONNREFUSED');
    }
  });
});
