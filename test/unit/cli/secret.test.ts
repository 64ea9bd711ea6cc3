import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { signingSecret } from '../../../cli/target';
import { signCallback } from '../../../lib/zego/signature';
import { LOCAL_DEV_SECRET } from '../../../tools/local-stack/defaults';
import { localStateFileForTest, runningStack, zego } from './run-zego';

describe('the secret send, sign and verify use', () => {
  it('is --secret first', () => {
    runningStack('stack-secret');
    expect(signingSecret('flag-secret', { ZEGO_CALLBACK_SECRET: 'env-secret' })).toEqual({
      secret: 'flag-secret',
      source: '--secret',
    });
  });

  it('is ZEGO_CALLBACK_SECRET without --secret', () => {
    runningStack('stack-secret');
    expect(signingSecret(undefined, { ZEGO_CALLBACK_SECRET: 'env-secret' }).secret).toBe('env-secret');
  });

  it("is the running npm start's secret without either (its state file)", () => {
    runningStack('stack-secret');
    expect(signingSecret(undefined, { ZEGO_CALLBACK_SECRET: '' })).toEqual({
      secret: 'stack-secret',
      source: "the running `npm start`'s secret",
    });
  });

  it('is the development secret when no npm start runs', () => {
    localStateFileForTest(); // none written
    expect(signingSecret(undefined, {}).secret).toBe(LOCAL_DEV_SECRET);
  });

  it('signs `zego sign` with the running stack’s secret', async () => {
    runningStack('stack-secret');
    vi.stubEnv('ZEGO_CALLBACK_SECRET', '');
    const { stdout, code } = await zego('sign', '--timestamp', '1689835223', '--nonce', '42');
    expect(code).toBe(0);
    expect(stdout).toBe(signCallback('stack-secret', { timestamp: '1689835223', nonce: '42' }));
  });
});

describe('zego send against a per-appid secret book', () => {
  /** An endpoint that answers 200 and keeps the bodies it got. */
  async function endpoint() {
    const bodies: Record<string, string>[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        bodies.push(JSON.parse(body));
        response.end('{"code":0}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/zego/callback`;
    return { url, bodies, close: () => new Promise((resolve) => server.close(resolve)) };
  }

  it("signs with the appid's own secret (the first of its list: the current one)", async () => {
    runningStack('{"111111": "sec-a", "222222": ["sec-b", "sec-b-old"]}');
    vi.stubEnv('ZEGO_CALLBACK_SECRET', '');
    const { url, bodies, close } = await endpoint();
    try {
      const sent = await zego('send', '--url', url, '--appid', '222222', '--task', 'book-1');
      expect(sent.code).toBe(0);
      const [body] = bodies;
      expect(body?.signature).toBe(
        signCallback('sec-b', { timestamp: body?.timestamp ?? '', nonce: body?.nonce ?? '' }),
      );
    } finally {
      await close();
    }
  });

  it('names the appids the book has when the one asked for is not among them', async () => {
    runningStack('{"111111": "sec-a"}');
    vi.stubEnv('ZEGO_CALLBACK_SECRET', '');
    const { code, stderr } = await zego('send', '--appid', '333333', '--task', 'book-2');
    expect(code).toBe(2);
    expect(stderr).toContain(
      "the running `npm start`'s secret has no secret for appid 333333; give --appid one of 111111",
    );
  });
});
