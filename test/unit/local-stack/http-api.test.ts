import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { type HttpApiOptions, startHttpApi } from '../../../tools/local-stack/http-api';
import { lambdaContext } from '../../../tools/local-stack/lambda-context';
import { apiThrottle } from '../../../tools/local-stack/stack-resources';
import { tokenBucket } from '../../../tools/local-stack/token-bucket';
import { deliverLikeZego } from '../../../tools/zego-fake/delivery';

let stop: (() => Promise<void>) | undefined;
afterEach(() => stop?.());

async function serve(
  handler: (event: APIGatewayProxyEventV2) => Promise<{ statusCode: number; body: string }>,
  options?: HttpApiOptions,
) {
  const api = await startHttpApi(
    [{ method: 'POST', path: '/zego/callback', handler, context: () => lambdaContext() }],
    0,
    options,
  );
  stop = api.stop;
  return `${api.url}/zego/callback`;
}

describe('the local HTTP API', () => {
  it('hands the handler an API Gateway v2 event: JSON as text, a form base64-encoded as on AWS', async () => {
    const events: APIGatewayProxyEventV2[] = [];
    const url = await serve(async (event) => {
      events.push(event);
      return { statusCode: 200, body: '{"ok":true}' };
    });
    await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Custom': 'A' },
      body: '{"a":1}',
    });
    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
    });
    expect(events[0]).toMatchObject({
      version: '2.0',
      routeKey: 'POST /zego/callback',
      rawPath: '/zego/callback',
      body: '{"a":1}',
      isBase64Encoded: false,
      headers: { 'content-type': 'application/json', 'x-custom': 'A' },
      requestContext: { http: { method: 'POST', path: '/zego/callback' }, stage: '$default' },
    });
    expect(events[1]).toMatchObject({ body: Buffer.from('a=1').toString('base64'), isBase64Encoded: true });
  });

  it('answers the handler status and body, 404 off the route, 500 when the handler throws', async () => {
    let fail = false;
    const url = await serve(async () => {
      if (fail) throw new Error('boom');
      return { statusCode: 401, body: '{"error":"bad_signature"}' };
    });
    const answered = await fetch(url, { method: 'POST', body: 'x' });
    expect([answered.status, await answered.text()]).toEqual([401, '{"error":"bad_signature"}']);
    expect((await fetch(url.replace('/zego/callback', '/other'), { method: 'POST' })).status).toBe(404);
    fail = true;
    expect((await fetch(url, { method: 'POST', body: 'x' })).status).toBe(500);
  });

  it('throttles like API Gateway when asked: the burst passes, then 429 until the rate refills it', async () => {
    let nowMs = 0;
    let handled = 0;
    const url = await serve(
      async () => {
        handled++;
        return { statusCode: 200, body: '{}' };
      },
      { throttle: { rate: 2, burst: 3 }, now: () => nowMs },
    );
    const post = async () => {
      const answer = await fetch(url, { method: 'POST', body: '{}' });
      return [answer.status, answer.headers.get('content-type'), await answer.text()];
    };
    const statuses = async (n: number) => {
      const seen: unknown[] = [];
      for (let i = 0; i < n; i++) seen.push((await post())[0]);
      return seen;
    };
    expect(await statuses(3)).toEqual([200, 200, 200]);
    expect(await post()).toEqual([429, 'application/json', '{"message":"Too Many Requests"}']);
    expect(handled).toBe(3);
    nowMs += 1_000; // two tokens at 2 a second
    expect(await statuses(3)).toEqual([200, 200, 429]);
    nowMs += 60_000; // never more than the burst
    expect(await statuses(4)).toEqual([200, 200, 200, 429]);
    expect(handled).toBe(8);
  });

  it('loses no callback to throttling: ZEGO retries each 429 until the bucket lets it through', async () => {
    const handled = new Set<string>();
    const url = await serve(
      async (event) => {
        handled.add(String(event.body));
        return { statusCode: 200, body: '{}' };
      },
      { throttle: { rate: 10, burst: 2 } },
    );
    // ZEGO's schedule at 1/20: retries 0.1, 0.2, 0.4, 0.8 and 1.6 s apart.
    const deliveries = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        deliverLikeZego(url, `{"n":${i}}`, 'application/json', { timeScale: 0.05 }),
      ),
    );
    expect(deliveries.map((delivery) => delivery.outcome)).toEqual(Array(6).fill('delivered'));
    expect(
      deliveries.flatMap((delivery) => delivery.attempts).some((attempt) => attempt.status === 429),
    ).toBe(true);
    expect(handled.size).toBe(6);
  });

  it('does not throttle by default', async () => {
    const url = await serve(async () => ({ statusCode: 200, body: '{}' }));
    const answers = await Promise.all(
      Array.from({ length: 30 }, () => fetch(url, { method: 'POST', body: '{}' }).then((r) => r.status)),
    );
    expect(answers.every((status) => status === 200)).toBe(true);
  });
});

describe('the token bucket', () => {
  it('refills at the rate, in fractions, up to the burst', () => {
    let nowMs = 0;
    const take = tokenBucket({ rate: 10, burst: 1 }, () => nowMs);
    expect([take(), take()]).toEqual([true, false]);
    nowMs += 50; // half a token
    expect(take()).toBe(false);
    nowMs += 50;
    expect([take(), take()]).toEqual([true, false]);
    nowMs += 10_000;
    expect([take(), take()]).toEqual([true, false]);
  });

  it('refuses everything with a burst of 0, as API Gateway does', () => {
    let nowMs = 0;
    const take = tokenBucket({ rate: 100, burst: 0 }, () => nowMs);
    nowMs += 1_000;
    expect(take()).toBe(false);
  });

  it('takes the deployed limits from serverless.yml', () => {
    expect(apiThrottle()).toEqual({ rate: 250, burst: 500 });
    expect(() => apiThrottle({ provider: {}, functions: {}, resources: { Resources: {} } })).toThrow(
      /throttling/,
    );
  });
});
