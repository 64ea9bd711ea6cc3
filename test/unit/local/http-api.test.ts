import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpApi } from '../../../scripts/local/http-api';
import { lambdaContext } from '../../../scripts/local/lambda-context';

let stop: (() => Promise<void>) | undefined;
afterEach(() => stop?.());

async function serve(
  handler: (event: APIGatewayProxyEventV2) => Promise<{ statusCode: number; body: string }>,
) {
  const api = await startHttpApi(
    [{ method: 'POST', path: '/zego/callback', handler, context: () => lambdaContext() }],
    0,
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
});
