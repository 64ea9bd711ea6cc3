import { describe, expect, it } from 'vitest';
import { serverApiLookup } from '../../../lib/reconcile/server-api-lookup';
import { parseSecretBook } from '../../../lib/zego/secrets';
import { signServerApiRequest } from '../../../lib/zego-server-api/signature';

/** Obviously fake: no real ServerSecret appears in this repository. */
const [NEW, OLD] = ['fixture-server-secret-new', 'fixture-server-secret-old'];

/** A ZEGO that holds `secret` for appid 111111 and knows task `running`; never touches the network. */
function fakeZego(secret: string) {
  const asked: { taskId: string | null; signedWith: string }[] = [];
  const fetch = (async (input: string | URL | Request) => {
    const query = new URL(String(input)).searchParams;
    const sign = (s: string) =>
      signServerApiRequest({
        appId: query.get('AppId') ?? '',
        signatureNonce: query.get('SignatureNonce') ?? '',
        serverSecret: s,
        timestamp: query.get('Timestamp') ?? '',
      });
    const signedWith = [NEW, OLD].find((s) => sign(s) === query.get('Signature')) ?? '?';
    asked.push({ taskId: query.get('TaskId'), signedWith });
    const Code = signedWith !== secret ? 100000005 : query.get('TaskId') === 'running' ? 0 : 110209001;
    const Data = Code === 0 ? { TaskInfo: { TaskId: 'running', MixDuration: 5 } } : undefined;
    return new Response(JSON.stringify({ Code, Message: 'm', RequestId: 'r', Data }));
  }) as typeof globalThis.fetch;
  return { fetch, asked };
}

const lookupWith = (spec: string, fetch: typeof globalThis.fetch) =>
  serverApiLookup({
    book: parseSecretBook(spec, { allowAnyApp: true }),
    endpoint: 'https://rtc-api.zego.im',
    timeoutMs: 1_000,
    fetch,
  });

describe('serverApiLookup', () => {
  it('signs with the app’s ServerSecret and answers what ZEGO says', async () => {
    const zego = fakeZego(NEW);
    const lookup = lookupWith(`{"111111": "${NEW}"}`, zego.fetch);
    expect(await lookup('111111', 'running')).toMatchObject({ state: 'running' });
    expect(await lookup('111111', 'gone')).toEqual({ state: 'not_found' });
    expect(zego.asked).toEqual([
      { taskId: 'running', signedWith: NEW },
      { taskId: 'gone', signedWith: NEW },
    ]);
  });

  it('tries the old secret of a rotation when ZEGO says the new one is wrong, and nothing after success', async () => {
    const zego = fakeZego(OLD);
    const lookup = lookupWith(`${NEW},${OLD}`, zego.fetch);
    expect(await lookup('111111', 'running')).toMatchObject({ state: 'running' });
    expect(zego.asked.map((a) => a.signedWith)).toEqual([NEW, OLD]);
  });

  it('answers unknown, with ZEGO’s code, when no secret of the book is right', async () => {
    const zego = fakeZego('neither');
    const result = await lookupWith(`${NEW},${OLD}`, zego.fetch)('111111', 'running');
    expect(result).toMatchObject({ state: 'unknown', reason: 'signature', code: 100000005 });
    expect(JSON.stringify(result)).not.toContain(NEW);
    expect(JSON.stringify(result)).not.toContain(OLD);
  });

  it('answers unknown without calling ZEGO for an appid the book has no secret for', async () => {
    const zego = fakeZego(NEW);
    const result = await lookupWith(`{"222222": "${NEW}"}`, zego.fetch)('111111', 'running');
    expect(result).toMatchObject({
      state: 'unknown',
      reason: 'internal',
      detail: expect.stringMatching(/111111/),
    });
    expect(zego.asked).toEqual([]);
  });

  it('stops at the first secret ZEGO takes, and answers with it', async () => {
    const zego = fakeZego(NEW);
    expect(await lookupWith(`${NEW},${OLD}`, zego.fetch)('111111', 'running')).toMatchObject({
      state: 'running',
    });
    expect(zego.asked.map((a) => a.signedWith)).toEqual([NEW]);
  });

  it('tries no other secret when ZEGO fails for another reason than the signature', async () => {
    let calls = 0;
    const failing = (async () => {
      calls += 1;
      return new Response('busy', { status: 500 });
    }) as typeof globalThis.fetch;
    const result = await lookupWith(`${NEW},${OLD}`, failing)('111111', 'running');
    expect(result).toMatchObject({ state: 'unknown', reason: 'http_status' });
    expect(calls).toBe(1);
  });
});
