import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  getMixTaskInfo,
  MAX_ANSWER_BYTES,
  type ServerApiOptions,
} from '../../../lib/zego-server-api/get-mix-task-info';

/** Obviously fake: no real ServerSecret appears in this repository. */
const SECRET = 'fixture-server-secret-not-real';
const NOW_MS = 1_615_186_943_500;

type Answer = (url: URL, init: RequestInit | undefined) => Response | Promise<Response>;

/** A fetch that records each URL it is given and answers with `answer`; never touches the network. */
function fakeFetch(answer: Answer) {
  const calls: { url: URL; init: RequestInit | undefined }[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    calls.push({ url, init });
    return answer(url, init);
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const zego = (Code: number, extra: Record<string, unknown> = {}) =>
  json({ Code, Message: Code === 0 ? 'success' : 'some message', RequestId: 'req-1', ...extra });

function options(
  fetch: typeof globalThis.fetch,
  overrides: Partial<ServerApiOptions> = {},
): ServerApiOptions {
  return {
    endpoint: 'https://rtc-api.zego.im',
    appId: '12345',
    serverSecret: SECRET,
    timeoutMs: 1_000,
    now: () => NOW_MS,
    fetch,
    ...overrides,
  };
}

const running = (duration: number) =>
  zego(0, { Data: { TaskInfo: { TaskId: '1111', MixDuration: duration } } });

describe('getMixTaskInfo: the request', () => {
  it('sends one signed GET carrying every common parameter', async () => {
    const { fetch, calls } = fakeFetch(() => running(13));
    await getMixTaskInfo('12345:1111', options(fetch));

    expect(calls).toHaveLength(1);
    const [{ url, init }] = calls as [(typeof calls)[number]];
    expect(init?.method).toBe('GET');
    expect(init?.signal).toBeInstanceOf(AbortSignal);
    expect(`${url.origin}${url.pathname}`).toBe('https://rtc-api.zego.im/');
    const query = Object.fromEntries(url.searchParams);
    expect(Object.keys(query).sort()).toEqual(
      ['Action', 'AppId', 'Signature', 'SignatureNonce', 'SignatureVersion', 'TaskId', 'Timestamp'].sort(),
    );
    expect(query).toMatchObject({
      Action: 'GetMixTaskInfo',
      TaskId: '12345:1111',
      AppId: '12345',
      Timestamp: '1615186943',
      SignatureVersion: '2.0',
    });
    expect(query.SignatureNonce).toMatch(/^[0-9a-f]{16}$/);
    const expected = createHash('md5')
      .update(`12345${query.SignatureNonce}${SECRET}1615186943`)
      .digest('hex');
    expect(query.Signature).toBe(expected);
  });

  it('sends IsTest only when it is set', async () => {
    const { fetch, calls } = fakeFetch(() => running(1));
    await getMixTaskInfo('1111', options(fetch, { isTest: false }));
    await getMixTaskInfo('1111', options(fetch, { isTest: true }));
    await getMixTaskInfo('1111', options(fetch));
    expect(calls.map(({ url }) => url.searchParams.getAll('IsTest'))).toEqual([['false'], ['true'], []]);
  });

  it('signs every call afresh: a new nonce, the current timestamp', async () => {
    let clock = NOW_MS;
    const { fetch, calls } = fakeFetch(() => running(1));
    await getMixTaskInfo('1111', options(fetch, { now: () => clock }));
    clock += 61_000;
    await getMixTaskInfo('1111', options(fetch, { now: () => clock }));
    const [first, second] = calls.map(({ url }) => Object.fromEntries(url.searchParams));
    expect(first?.Timestamp).toBe('1615186943');
    expect(second?.Timestamp).toBe('1615187004');
    expect(first?.SignatureNonce).not.toBe(second?.SignatureNonce);
    expect(first?.Signature).not.toBe(second?.Signature);
  });

  it('asks the configured regional host and encodes the task id', async () => {
    const { fetch, calls } = fakeFetch(() => running(1));
    await getMixTaskInfo('a b&c=d/é', options(fetch, { endpoint: 'https://rtc-api-sgp.zego.im' }));
    expect(calls[0]?.url.host).toBe('rtc-api-sgp.zego.im');
    expect(calls[0]?.url.searchParams.get('TaskId')).toBe('a b&c=d/é');
    expect(calls[0]?.url.searchParams.getAll('Action')).toEqual(['GetMixTaskInfo']);
  });
});

describe('getMixTaskInfo: the answer', () => {
  it.each([
    {
      name: 'Code 0 with TaskInfo is running, with its duration',
      answer: () => running(13),
      expected: { state: 'running', mixDurationSeconds: 13 },
    },
    {
      name: 'Code 0 with TaskInfo but no MixDuration is running',
      answer: () => zego(0, { Data: { TaskInfo: { TaskId: '1111' } } }),
      expected: { state: 'running' },
    },
    {
      name: 'Code 0 with a MixDuration of another type is still running',
      answer: () => zego(0, { Data: { TaskInfo: { MixDuration: '13' } } }),
      expected: { state: 'running' },
    },
    { name: '110209001 is not_found', answer: () => zego(110209001), expected: { state: 'not_found' } },
    {
      name: '110200194 (overloaded) is throttled',
      answer: () => zego(110200194),
      expected: { state: 'unknown', reason: 'throttled', code: 110200194, requestId: 'req-1' },
    },
    {
      name: '110200001 (failed) is retry',
      answer: () => zego(110200001),
      expected: { state: 'unknown', reason: 'retry', code: 110200001 },
    },
    {
      name: '110200004 is bad_input',
      answer: () => zego(110200004),
      expected: { state: 'unknown', reason: 'bad_input', code: 110200004 },
    },
    {
      name: '100000004 (expired) is signature',
      answer: () => zego(100000004),
      expected: { state: 'unknown', reason: 'signature', code: 100000004 },
    },
    {
      name: '100000005 (wrong) is signature',
      answer: () => zego(100000005),
      expected: { state: 'unknown', reason: 'signature', code: 100000005 },
    },
    {
      name: 'an undocumented code is unknown_code',
      answer: () => zego(110209002),
      expected: { state: 'unknown', reason: 'unknown_code', code: 110209002 },
    },
    {
      name: 'Code 0 without Data.TaskInfo is malformed',
      answer: () => zego(0, { Data: {} }),
      expected: { state: 'unknown', reason: 'malformed', code: 0 },
    },
    {
      name: 'Code 0 with a TaskInfo that is not an object is malformed',
      answer: () => zego(0, { Data: { TaskInfo: 'running' } }),
      expected: { state: 'unknown', reason: 'malformed', code: 0 },
    },
    {
      name: 'Code 0 with Data null is malformed',
      answer: () => zego(0, { Data: null }),
      expected: { state: 'unknown', reason: 'malformed', code: 0 },
    },
    {
      name: 'a not-found code with extra fields ZEGO may add is still not_found',
      answer: () => zego(110209001, { Data: 'anything', NewField: [1, 2] }),
      expected: { state: 'not_found' },
    },
    {
      name: 'a body that is not JSON is malformed',
      answer: () => new Response('<html>502 Bad Gateway</html>', { status: 200 }),
      expected: { state: 'unknown', reason: 'malformed' },
    },
    {
      name: 'JSON without Code is malformed',
      answer: () => json({ Message: 'success', Data: { TaskInfo: {} } }),
      expected: { state: 'unknown', reason: 'malformed' },
    },
    {
      name: 'a Code given as text is malformed',
      answer: () => json({ Code: '110209001' }),
      expected: { state: 'unknown', reason: 'malformed' },
    },
    {
      name: 'a JSON array is malformed',
      answer: () => json([110209001]),
      expected: { state: 'unknown', reason: 'malformed' },
    },
    {
      name: 'HTTP 500 is http_status, even with a not-found code in its body',
      answer: () => json({ Code: 110209001 }, 500),
      expected: { state: 'unknown', reason: 'http_status' },
    },
    {
      name: 'HTTP 429 is throttled',
      answer: () => new Response('slow down', { status: 429 }),
      expected: { state: 'unknown', reason: 'throttled' },
    },
  ])('maps $name', async ({ answer, expected }) => {
    const { fetch } = fakeFetch(answer);
    const result = await getMixTaskInfo('1111', options(fetch));
    expect(result).toEqual(
      expected.state === 'unknown'
        ? expect.objectContaining({ ...expected, detail: expect.any(String) })
        : expected,
    );
  });

  it('is unknown/network, and does not throw, when fetch rejects', async () => {
    const { fetch } = fakeFetch(() => {
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
      });
    });
    const result = await getMixTaskInfo('1111', options(fetch));
    expect(result).toEqual({ state: 'unknown', reason: 'network', detail: 'request failed: ECONNREFUSED' });
  });

  it("is unknown/timeout when undici's own connect timeout fires first", async () => {
    const { fetch } = fakeFetch(() => {
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('Connect Timeout Error'), { code: 'UND_ERR_CONNECT_TIMEOUT' }),
      });
    });
    expect(await getMixTaskInfo('1111', options(fetch))).toMatchObject({
      state: 'unknown',
      reason: 'timeout',
    });
  });

  it('is unknown/network when fetch throws before returning a promise', async () => {
    const fetch = (() => {
      throw new Error('synchronous');
    }) as unknown as typeof globalThis.fetch;
    await expect(getMixTaskInfo('1111', options(fetch))).resolves.toMatchObject({
      state: 'unknown',
      reason: 'network',
    });
  });

  it('is unknown/timeout when no answer comes within timeoutMs', async () => {
    const { fetch } = fakeFetch(
      (_url, init) =>
        new Promise((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        }),
    );
    const started = performance.now();
    const result = await getMixTaskInfo('1111', options(fetch, { timeoutMs: 30 }));
    expect(result).toEqual({ state: 'unknown', reason: 'timeout', detail: 'no answer within 30 ms' });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('is unknown/timeout when the body stops arriving', async () => {
    const { fetch } = fakeFetch((_url, init) => {
      const body = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"Code":'));
          init?.signal?.addEventListener('abort', () => controller.error(init.signal?.reason));
        },
      });
      return new Response(body, { status: 200 });
    });
    const result = await getMixTaskInfo('1111', options(fetch, { timeoutMs: 30 }));
    expect(result).toMatchObject({ state: 'unknown', reason: 'timeout' });
  });

  it('is unknown/internal, and does not throw, when the injected clock throws', async () => {
    const { fetch, calls } = fakeFetch(() => running(1));
    const now = () => {
      throw new Error(`clock broken ${SECRET}`);
    };
    const result = await getMixTaskInfo('1111', options(fetch, { now }));
    expect(result).toEqual({
      state: 'unknown',
      reason: 'internal',
      detail: 'the request could not be made: Error',
    });
    expect(calls).toHaveLength(0);
  });

  it('is unknown, without calling fetch, when the endpoint is not a URL', async () => {
    const { fetch, calls } = fakeFetch(() => running(1));
    const result = await getMixTaskInfo('1111', options(fetch, { endpoint: 'rtc-api.zego.im' }));
    expect(result).toMatchObject({ state: 'unknown', reason: 'network' });
    expect(calls).toHaveLength(0);
  });
});

describe('getMixTaskInfo: the detail it gives for a log line', () => {
  it.each([
    ['overloaded', () => zego(110200194), 'overloaded (110200194): some message'],
    ['failed', () => zego(110200001), 'failed (110200001): some message'],
    ['bad input', () => zego(110200004), 'bad input (110200004): some message'],
    [
      'signature expired',
      () => zego(100000004),
      'signature expired, check the clock (100000004): some message',
    ],
    [
      'signature wrong',
      () => zego(100000005),
      'signature wrong, check AppId and ServerSecret (100000005): some message',
    ],
    ['an unknown code', () => zego(110209002), 'unknown code (110209002): some message'],
    ['a code with no Message', () => json({ Code: 110200001 }), 'failed (110200001):'],
    ['Code 0 without TaskInfo', () => zego(0, { Data: {} }), 'Code 0 without Data.TaskInfo'],
    [
      'a body that is not JSON',
      () => new Response('<html>', { status: 200 }),
      'HTTP 200, the answer is not JSON',
    ],
    ['JSON without an integer Code', () => json({ Code: 1.5 }), 'the answer has no integer Code'],
    ['an HTTP error', () => new Response('x', { status: 502 }), 'HTTP 502'],
  ])('says what happened for %s', async (_case, answer, detail) => {
    const { fetch } = fakeFetch(answer);
    expect(await getMixTaskInfo('1111', options(fetch))).toMatchObject({ detail });
  });

  it('says the endpoint is no URL, and nothing else', async () => {
    const { fetch } = fakeFetch(() => running(1));
    expect(await getMixTaskInfo('1111', options(fetch, { endpoint: 'rtc-api.zego.im' }))).toEqual({
      state: 'unknown',
      reason: 'network',
      detail: 'the endpoint is not a valid URL',
    });
  });

  it('gives no duration when ZEGO gives none', async () => {
    const { fetch } = fakeFetch(() => zego(0, { Data: { TaskInfo: { TaskId: '1111' } } }));
    expect(await getMixTaskInfo('1111', options(fetch))).toStrictEqual({ state: 'running' });
  });

  it.each([
    ['an AbortError', () => new DOMException('aborted', 'AbortError'), 'timeout'],
    ['something not an Error', () => 'a string', 'network'],
    ['a code that only contains a timeout code', () => codeError('X_UND_ERR_CONNECT_TIMEOUT'), 'network'],
    ['a code that only starts with a timeout code', () => codeError('UND_ERR_BODY_TIMEOUT_X'), 'network'],
    ['undici’s headers timeout', () => codeError('UND_ERR_HEADERS_TIMEOUT'), 'timeout'],
  ])('tells a timeout from a network failure: %s', async (_case, failure, reason) => {
    const { fetch } = fakeFetch(() => {
      throw failure();
    });
    expect(await getMixTaskInfo('1111', options(fetch))).toMatchObject({ state: 'unknown', reason });
  });

  it('says which non-Error a failed request threw', async () => {
    const { fetch } = fakeFetch(() => {
      throw 'a string';
    });
    expect(await getMixTaskInfo('1111', options(fetch))).toMatchObject({ detail: 'request failed: string' });
  });

  it('writes each run of control characters as one space, and trims the ends', async () => {
    const { fetch } = fakeFetch(() => zego(110200001, { Message: 'line1\r\nline2\n' }));
    expect(await getMixTaskInfo('1111', options(fetch))).toMatchObject({
      detail: 'failed (110200001): line1 line2',
    });
  });

  it('keeps a detail of exactly 200 characters whole, and cuts a longer one to 200 with an ellipsis', async () => {
    // "failed (110200001): " is 20 characters.
    const detailOf = async (message: string) => {
      const { fetch } = fakeFetch(() => zego(110200001, { Message: message }));
      const result = await getMixTaskInfo('1111', options(fetch));
      return result.state === 'unknown' ? result.detail : '';
    };
    expect(await detailOf('x'.repeat(180))).toBe(`failed (110200001): ${'x'.repeat(180)}`);
    expect(await detailOf('x'.repeat(181))).toBe(`failed (110200001): ${'x'.repeat(179)}…`);
  });

  it('redacts a secret holding characters special in a regular expression', async () => {
    const secret = 'fixture.secret+(not)*real?';
    const { fetch } = fakeFetch(() => zego(100000005, { Message: `got ${secret} and fixtureXsecret` }));
    const result = await getMixTaskInfo('1111', options(fetch, { serverSecret: secret }));
    expect(result).toMatchObject({ detail: expect.stringMatching(/: got \[redacted\] and fixtureXsecret$/) });
  });
});

function codeError(code: string): Error {
  return new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code }) });
}

describe('getMixTaskInfo: what it reports', () => {
  it('never carries the ServerSecret or the Signature, even when an error or ZEGO echoes them', async () => {
    let signature = '';
    const echo = (url: URL) => {
      signature = url.searchParams.get('Signature') ?? '';
      return `secret ${SECRET} sig ${signature.toUpperCase()} url ${url}`;
    };
    const answers: Answer[] = [
      (url) => zego(100000005, { Message: echo(url) }),
      (url) => zego(110209002, { Message: echo(url) }),
      (url) => {
        throw new TypeError(echo(url));
      },
      (url) => {
        throw new TypeError('fetch failed', { cause: { name: 'X', message: echo(url) } });
      },
      (url) => new Response(echo(url), { status: 500 }),
      (url) => new Response(echo(url), { status: 200 }),
    ];
    for (const answer of answers) {
      const { fetch } = fakeFetch(answer);
      const text = JSON.stringify(await getMixTaskInfo('1111', options(fetch)));
      expect(signature).toMatch(/^[0-9a-f]{32}$/);
      expect(text).not.toContain(SECRET);
      expect(text.toLowerCase()).not.toContain(signature);
    }
  });

  it('redacts the secret from an echoed message and keeps the rest', async () => {
    const { fetch } = fakeFetch(() => zego(100000005, { Message: `bad secret ${SECRET}!` }));
    const result = await getMixTaskInfo('1111', options(fetch));
    expect(result).toMatchObject({ detail: expect.stringContaining('bad secret [redacted]!') });
  });

  it('keeps the detail to one short line with no control characters', async () => {
    const message = `line1\nline2\r\u0000\u001b[31m\u202eevil\u2028${'x'.repeat(1_000)}`;
    const { fetch } = fakeFetch(() => zego(110200001, { Message: message }));
    const result = await getMixTaskInfo('1111', options(fetch));
    if (result.state !== 'unknown') throw new Error(`expected unknown, got ${result.state}`);
    expect(result.detail.length).toBeLessThanOrEqual(200);
    expect(result.detail).toContain('line1 line2');
    expect(result.detail).not.toMatch(/[\p{Cc}\p{Cf}\u2028\u2029]/u);
  });
});

/**
 * A 60 MiB body of spaces in 16 KiB chunks, counting the chunks pulled: each one is memory spent.
 * Pulled only when read, so the count is what the client asked for.
 */
function oversizedBody(totalBytes = 60 * 1024 * 1024, chunkBytes = 16 * 1024) {
  let pulls = 0;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        pulls++;
        controller.enqueue(new Uint8Array(chunkBytes).fill(0x20));
        if (pulls * chunkBytes >= totalBytes) controller.close();
      },
      cancel() {
        cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulls: () => pulls, cancelled: () => cancelled };
}

/** A not-found answer padded with spaces to exactly `bytes` bytes, in chunks of `chunkBytes`. */
function paddedNotFound(bytes: number, chunkBytes = 16 * 1024) {
  const json = '{"Code":110209001}';
  const text = json + ' '.repeat(bytes - json.length);
  const encoded = new TextEncoder().encode(text);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < encoded.length; at += chunkBytes)
        controller.enqueue(encoded.slice(at, at + chunkBytes));
      controller.close();
    },
  });
  return { stream, text };
}

describe('getMixTaskInfo: redirects', () => {
  it('asks fetch not to follow redirects', async () => {
    const { fetch, calls } = fakeFetch(() => running(1));
    await getMixTaskInfo('1111', options(fetch));
    expect(calls[0]?.init?.redirect).toBe('manual');
  });

  it.each([300, 301, 302, 303, 307, 308, 399])(
    'is unknown/http_status on HTTP %i, naming where it pointed, and asks nothing more',
    async (status) => {
      const location = 'https://evil.example/collect?Signature=whatever';
      const { fetch, calls } = fakeFetch(() => new Response(null, { status, headers: { location } }));
      expect(await getMixTaskInfo('1111', options(fetch))).toEqual({
        state: 'unknown',
        reason: 'http_status',
        detail: `HTTP ${status}, a redirect to evil.example: not followed`,
      });
      expect(calls).toHaveLength(1);
    },
  );

  it.each([
    ['no Location', {}, 'HTTP 302, a redirect: not followed'],
    ['a Location that is no URL', { location: 'http://[' }, 'HTTP 302, a redirect: not followed'],
    [
      'a relative Location',
      { location: '/elsewhere?x=1' },
      'HTTP 302, a redirect to rtc-api.zego.im: not followed',
    ],
  ])('says only what it can of a redirect with %s', async (_case, headers, detail) => {
    const { fetch } = fakeFetch(() => new Response(null, { status: 302, headers }));
    expect(await getMixTaskInfo('1111', options(fetch))).toMatchObject({ reason: 'http_status', detail });
  });

  it('calls HTTP 400 an HTTP status, not a redirect', async () => {
    const { fetch } = fakeFetch(() => new Response('bad', { status: 400, headers: { location: '/x' } }));
    expect(await getMixTaskInfo('1111', options(fetch))).toMatchObject({
      reason: 'http_status',
      detail: 'HTTP 400',
    });
  });

  it('cancels the body of a redirect instead of reading it', async () => {
    const body = oversizedBody();
    const { fetch } = fakeFetch(() => new Response(body.stream, { status: 302 }));
    await getMixTaskInfo('1111', options(fetch));
    expect(body.pulls()).toBe(0);
    expect(body.cancelled()).toBe(true);
  });
});

describe('getMixTaskInfo: the size of an answer', () => {
  const tooLarge = { state: 'unknown', reason: 'malformed', detail: 'the answer is over 65536 bytes' };

  it('caps an answer at 64 KiB', () => {
    expect(MAX_ANSWER_BYTES).toBe(65_536);
  });

  it('refuses an answer whose Content-Length is over the cap without reading a byte of it', async () => {
    const body = oversizedBody();
    const { fetch } = fakeFetch(
      () =>
        new Response(body.stream, { status: 200, headers: { 'content-length': String(60 * 1024 * 1024) } }),
    );
    expect(await getMixTaskInfo('1111', options(fetch))).toEqual(tooLarge);
    expect(body.pulls()).toBe(0);
    expect(body.cancelled()).toBe(true);
  });

  it('stops reading a chunked answer (no Content-Length) once it is past the cap', async () => {
    const body = oversizedBody();
    const { fetch } = fakeFetch(() => new Response(body.stream, { status: 200 }));
    expect(await getMixTaskInfo('1111', options(fetch))).toEqual(tooLarge);
    // Four 16 KiB chunks fill the cap; the fifth goes past it. Nothing after it is pulled.
    expect(body.pulls()).toBe(5);
    expect(body.cancelled()).toBe(true);
  });

  it('reads an answer of exactly the cap, streamed or with its Content-Length', async () => {
    const streamed = paddedNotFound(MAX_ANSWER_BYTES);
    const { fetch } = fakeFetch(() => new Response(streamed.stream, { status: 200 }));
    expect(await getMixTaskInfo('1111', options(fetch))).toEqual({ state: 'not_found' });

    const declared = paddedNotFound(MAX_ANSWER_BYTES);
    const withLength = fakeFetch(
      () =>
        new Response(declared.stream, {
          status: 200,
          headers: { 'content-length': String(MAX_ANSWER_BYTES) },
        }),
    );
    expect(await getMixTaskInfo('1111', options(withLength.fetch))).toEqual({ state: 'not_found' });
  });

  it('refuses an answer one byte over the cap', async () => {
    const { stream } = paddedNotFound(MAX_ANSWER_BYTES + 1);
    const { fetch } = fakeFetch(() => new Response(stream, { status: 200 }));
    expect(await getMixTaskInfo('1111', options(fetch))).toEqual(tooLarge);
  });

  it('reads an answer whose Content-Length is not a number, within the cap', async () => {
    const { fetch } = fakeFetch(
      () => new Response('{"Code":110209001}', { status: 200, headers: { 'content-length': 'many' } }),
    );
    expect(await getMixTaskInfo('1111', options(fetch))).toEqual({ state: 'not_found' });
  });

  it('is malformed, not a failed request, when a 200 has no body at all', async () => {
    const { fetch } = fakeFetch(() => new Response(null, { status: 200 }));
    expect(await getMixTaskInfo('1111', options(fetch))).toEqual({
      state: 'unknown',
      reason: 'malformed',
      detail: 'HTTP 200, the answer is not JSON',
    });
  });
});

describe('getMixTaskInfo: an answer that gives a key twice', () => {
  const text = (body: string) => () => new Response(body, { status: 200 });

  it.each([
    ['Code 0 then not found', '{"Code":0,"Data":{"TaskInfo":{"MixDuration":5}},"Code":110209001}', 'Code'],
    ['not found then Code 0', '{"Code":110209001,"Data":{"TaskInfo":{"MixDuration":5}},"Code":0}', 'Code'],
    ['two Data', '{"Code":0,"Data":{"TaskInfo":{"MixDuration":5}},"Data":null}', 'Data'],
    ['two TaskInfo', '{"Code":0,"Data":{"TaskInfo":{"MixDuration":5},"TaskInfo":"gone"}}', 'TaskInfo'],
    ['two Messages', '{"Code":110209001,"Message":"a","Message":"b"}', 'Message'],
  ])('is malformed, never a guess, with %s', async (_case, body, key) => {
    const { fetch } = fakeFetch(text(body));
    expect(await getMixTaskInfo('1111', options(fetch))).toEqual({
      state: 'unknown',
      reason: 'malformed',
      detail: `the answer gives "${key}" twice, with different values`,
    });
  });

  it('reads a key given twice with the same value: the answer is still one answer', async () => {
    const { fetch } = fakeFetch(text('{"Code":110209001,"Code":110209001}'));
    expect(await getMixTaskInfo('1111', options(fetch))).toEqual({ state: 'not_found' });
  });

  it('reads large and exact numbers as JSON does', async () => {
    const { fetch } = fakeFetch(text('{"Code":0,"Data":{"TaskInfo":{"MixDuration":1.5e1}}}'));
    expect(await getMixTaskInfo('1111', options(fetch))).toEqual({
      state: 'running',
      mixDurationSeconds: 15,
    });
    const huge = fakeFetch(text('{"Code":1e400}'));
    expect(await getMixTaskInfo('1111', options(huge.fetch))).toMatchObject({ reason: 'malformed' });
  });
});

/** ASCII as fullwidth forms (U+FF01-U+FF5E), which NFKC reads as the ASCII letters. */
const fullwidth = (text: string) =>
  text.replace(/[!-~]/g, (char) => String.fromCharCode(char.charCodeAt(0) + 0xfee0));
/** Lowercase letters as mathematical bold ones (astral characters). */
const mathBold = (text: string) =>
  text.replace(/[a-z]/g, (char) => String.fromCodePoint(0x1d41a + char.charCodeAt(0) - 0x61));
/** `text` with `between` after each of its characters but the last. */
const interleave = (text: string, between: string) => Array.from(text).join(between);

describe('getMixTaskInfo: secrets in disguise', () => {
  const detailFor = async (message: string, serverSecret = SECRET) => {
    const { fetch } = fakeFetch(() => zego(100000005, { Message: message }));
    const result = await getMixTaskInfo('1111', options(fetch, { serverSecret }));
    return result.state === 'unknown' ? result.detail : '';
  };
  const prefix = 'signature wrong, check AppId and ServerSecret (100000005): ';

  it.each([
    ['zero-width spaces', interleave(SECRET, '\u200b')],
    ['a byte-order mark and bidi controls', interleave(SECRET, '\ufeff\u202e')],
    ['control characters', interleave(SECRET, '\u0000')],
    ['line breaks', interleave(SECRET, '\r\n')],
    ['spaces', interleave(SECRET, ' ')],
    ['combining marks', interleave(SECRET, '\u0301')],
    ['fullwidth forms', fullwidth(SECRET)],
    ['fullwidth capitals', fullwidth(SECRET.toUpperCase())],
    ['mathematical letters', mathBold(SECRET)],
    ['fullwidth forms and zero-width spaces', interleave(fullwidth(SECRET), '\u200c')],
  ])('redacts the ServerSecret interleaved or dressed with %s', async (_case, disguised) => {
    expect(await detailFor(`echo ${disguised} end`)).toBe(`${prefix}echo [redacted] end`);
  });

  it('redacts every echo of the secret, not only the first', async () => {
    expect(await detailFor(`${SECRET} and ${interleave(SECRET, '\u200b')}`)).toBe(
      `${prefix}[redacted] and [redacted]`,
    );
  });

  it('redacts the Signature interleaved with zero-width spaces', async () => {
    let signature = '';
    const { fetch } = fakeFetch((url) => {
      signature = url.searchParams.get('Signature') ?? '';
      return zego(110209002, { Message: `sig ${interleave(signature, '\u200b')}` });
    });
    expect(await getMixTaskInfo('1111', options(fetch))).toMatchObject({
      detail: 'unknown code (110209002): sig [redacted]',
    });
    expect(signature).toMatch(/^[0-9a-f]{32}$/);
  });

  it('redacts a secret that itself holds invisible characters, spaces or marks, echoed without them', async () => {
    const secret = 'fix ture\u200b-secre\u0301t-not-real';
    expect(await detailFor('echo fixture-secret-not-real end', secret)).toBe(`${prefix}echo [redacted] end`);
  });

  it('keeps text that only resembles the secret, recomposed', async () => {
    expect(await detailFor('fixture-server-secret-not-rea1 cafe\u0301')).toBe(
      `${prefix}fixture-server-secret-not-rea1 café`,
    );
  });
});

/** Answers no ZEGO would give, each near the size cap: every one is refused quickly, never thrown. */
const hostileAnswers: [string, () => string][] = [
  ['arrays nested 32,768 deep', () => '['.repeat(32_768) + ']'.repeat(32_768)],
  ['objects nested 10,000 deep', () => `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`],
  [
    '6,000 keys',
    () => `{${Array.from({ length: 6_000 }, (_, i) => `"k${i}":1`).join(',')},"Code":110209001}`,
  ],
  ['3,600 copies of one key and value', () => `{${'"Code":110209001,'.repeat(3_600)}"a":1}`],
  [
    'a key given twice with large equal values, nested',
    () => {
      let value = '1';
      while (value.length * 2 < 60_000) value = `{"a":${value},"a":${value}}`;
      return `{"Code":110209001,"x":${value}}`;
    },
  ],
  ['a string of 10,000 escapes', () => `{"Code":110200001,"Message":"${'\\u200b'.repeat(10_000)}"}`],
  ['a Message of 60,000 ligatures', () => `{"Code":110200001,"Message":"${'\ufdfa'.repeat(20_000)}"}`],
  [
    'a Message of near-misses of the secret',
    () => `{"Code":110200001,"Message":"${`${SECRET.slice(0, -1)}\u200b`.repeat(1_900)}"}`,
  ],
];

describe('getMixTaskInfo: hostile answers', () => {
  it.each(hostileAnswers)('answers %s in good time, without throwing', async (_case, body) => {
    const text = body();
    expect(new TextEncoder().encode(text).length).toBeLessThanOrEqual(MAX_ANSWER_BYTES);
    const { fetch } = fakeFetch(() => new Response(text, { status: 200 }));
    const started = performance.now();
    const result = await getMixTaskInfo('1111', options(fetch));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(['unknown', 'not_found']).toContain(result.state);
    if (result.state === 'unknown') expect(result.detail.length).toBeLessThanOrEqual(200);
  });

  it('is not_found only for a JSON object whose one Code is 110209001, whatever else it holds', async () => {
    const body = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.json({ maxDepth: 3 }),
      fc
        .record({
          Code: fc.oneof(fc.constant(110209001), fc.constant(0), fc.integer(), fc.string(), fc.double()),
          Message: fc.oneof(fc.string({ unit: 'binary' }), fc.constant(SECRET)),
          Data: fc.jsonValue({ maxDepth: 3 }),
        })
        .map((answer) => JSON.stringify(answer)),
    );
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const { fetch } = fakeFetch(() => new Response(text, { status: 200 }));
        const result = await getMixTaskInfo('1111', options(fetch));
        let code: unknown;
        try {
          code = (JSON.parse(text) as { Code?: unknown } | null)?.Code;
        } catch {
          code = undefined;
        }
        expect(result.state === 'not_found').toBe(code === 110209001);
        expect(JSON.stringify(result)).not.toContain(SECRET);
        if (result.state === 'unknown') expect(result.detail).not.toMatch(/[\p{Cc}\p{Cf}\u2028\u2029]/u);
      }),
      { numRuns: Number(process.env.FC_NUM_RUNS ?? 300) },
    );
  });
});
