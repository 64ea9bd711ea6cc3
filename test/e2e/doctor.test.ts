import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNpmStart } from '../support/npm-start';

// `zego doctor` as a user runs it after `npm start`, in another process: every check that applies
// to the local stack passes, and it names the ones only a deployed stage has.
let started: Awaited<ReturnType<typeof startNpmStart>>;

beforeAll(async () => {
  started = await startNpmStart([], {
    ZEGO_CALLBACK_SECRET: '',
    PORT: '0',
    SQS_PORT: '0',
    DYNAMODB_PORT: '0',
    ZEGO_API_PORT: '0',
  });
}, 60_000);
afterAll(() => started?.kill());

/** What `npx zego doctor` prints and its exit code, whatever the code. */
const doctor = (...args: string[]) =>
  started.zego('doctor', ...args).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (failed: { code: number; stdout: string; stderr: string }) => failed,
  );

describe('zego doctor against npm start', () => {
  it('passes every check that applies to the local stack, round trip included', async () => {
    const { code, stdout, stderr } = await doctor('--timeout-ms', '20000');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('doctor: the local stack (npm start)');
    expect(lines[1]).toMatch(/^ {2}ok {4}local stack +npm start runs \(state file .+\)$/);
    expect(lines[2]).toBe(`  ok    endpoint           ${started.info.callbackUrl} answers`);
    expect(lines[3]).toBe('  ok    dead-letter queue  empty');
    expect(lines[4]).toMatch(
      /^ {2}ok {4}smoke round trip {3}a signed mix_start and mix_stop \(appid 111111\) went in and the task stopped after \d+ ms; what it wrote is removed$/,
    );
    expect(lines[5]).toMatch(/^not checked here \(deployed stages only\): credentials and region, the stack/);
    expect(lines.at(-1)).toBe('passed');
    // The round trip is smoke's: its task is recorded with no hook called.
    expect(started.output()).toMatch(/smoke test callback recorded; no hook /);
  });

  it('fails, saying how to start it, once npm start has stopped', async () => {
    process.kill(-started.pid, 'SIGINT');
    const deadline = Date.now() + 10_000;
    while (started.alive() && Date.now() < deadline) await sleep(50);
    const { code, stdout, stderr } = await doctor();
    expect(code).toBe(1);
    expect(stdout).toContain(
      'FAIL  local stack        the local stack is not running: start it with `npm start` in another terminal',
    );
    expect(stderr.trim()).toBe(
      'zego doctor: 1 check(s) failed: fix what each FAIL line says, then run `npx zego doctor` again',
    );
  });
});
