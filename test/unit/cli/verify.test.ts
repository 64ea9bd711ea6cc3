import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildCallback, encodeCallback } from '../../../tools/zego-fake/callbacks';
import { runningStack, zego } from './run-zego';

const SECRET = 'verify-test-secret';

/** A captured body on disk: a mix_stop signed with SECRET, `ageSeconds` old. */
function capture(ageSeconds: number): string {
  const fields = buildCallback({
    event: 'mix_stop',
    appid: '111111',
    taskId: 'cap-1',
    seq: '7',
    secret: SECRET,
    timestamp: String(Math.floor(Date.now() / 1000) - ageSeconds),
  });
  const file = join(mkdtempSync(join(tmpdir(), 'zego-verify-')), 'body.json');
  writeFileSync(file, encodeCallback(fields, 'json').body);
  return file;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('zego verify', () => {
  it('takes a fresh capture signed with the secret', async () => {
    expect(await zego('verify', capture(10), '--secret', SECRET)).toEqual({
      code: 0,
      stdout: 'valid: appid=111111 event=mix_stop seq=7 task_id=cap-1',
      stderr: '',
    });
  });

  it('refuses, as the endpoint does, a capture older than 300 s, and says how to check only its signature', async () => {
    const { code, stderr } = await zego('verify', capture(301), '--secret', SECRET);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^zego verify: invalid \(401 stale_timestamp\): the timestamp is 5 min \d+ s in the past/,
    );
    expect(stderr).toMatch(/To check only the signature of an old capture: --max-skew 0\.$/);
  });

  it('checks only the signature of an old capture with --max-skew 0', async () => {
    expect((await zego('verify', capture(86_400), '--secret', SECRET, '--max-skew', '0')).code).toBe(0);
  });

  it('takes another window with --max-skew', async () => {
    expect((await zego('verify', capture(301), '--secret', SECRET, '--max-skew', '600')).code).toBe(0);
  });

  it("verifies with the running npm start's secret without --secret", async () => {
    runningStack(SECRET);
    vi.stubEnv('ZEGO_CALLBACK_SECRET', '');
    expect((await zego('verify', capture(10))).code).toBe(0);
  });

  it.each([[[]], [['-']]])(
    'says how to give a body instead of waiting on a terminal (zego verify %s)',
    async (argv) => {
      const tty = Object.getOwnPropertyDescriptor(process.stdin, 'isTTY');
      Object.defineProperty(process.stdin, 'isTTY', { value: true, configurable: true });
      try {
        expect(await zego('verify', ...argv)).toEqual({
          code: 2,
          stdout: '',
          stderr:
            'zego verify: give the callback body as a FILE, or pipe it in and give -, e.g. `zego verify body.json` or `pbpaste | zego verify -`.\nRun `zego verify --help` for its options.',
        });
      } finally {
        if (tty) Object.defineProperty(process.stdin, 'isTTY', tty);
        else delete (process.stdin as { isTTY?: boolean }).isTTY;
      }
    },
  );
});
