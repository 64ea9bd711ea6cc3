import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** What a client sent, as API Gateway sees it. */
export interface HttpRequest {
  method?: string;
  path?: string;
  query?: string;
  /** Header names in any case; API Gateway lower-cases them. */
  headers?: Record<string, string>;
  body?: Buffer | string;
  /**
   * How the body reaches the function: `auto` (as HTTP APIs do: base64 unless its Content-Type is
   * text, so a form arrives base64-encoded), or forced either way.
   */
  bodyEncoding?: 'auto' | 'base64' | 'text';
  sourceIp?: string;
  protocol?: string;
  /** The route key, e.g. `POST /zego/callback`; method and path by default. */
  routeKey?: string;
  now?: Date;
}

/** An HTTP API (payload format 2.0) event, shaped as test/events/apigw/post-callback.json. */
export function httpApiEvent({
  method = 'POST',
  path = '/zego/callback',
  query = '',
  headers: given = {},
  body,
  bodyEncoding = 'auto',
  sourceIp = '203.0.113.10',
  protocol = 'HTTP/1.1',
  routeKey = `${method} ${path}`,
  now = new Date(),
}: HttpRequest = {}): APIGatewayProxyEventV2 {
  const headers = Object.fromEntries(
    Object.entries(given).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const bytes = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const base64 = bodyEncoding === 'base64' || (bodyEncoding === 'auto' && !isText(headers['content-type']));
  const present = bytes !== undefined && bytes.length > 0;
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: query,
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: { method, path, protocol, sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: present ? bytes.toString(base64 ? 'base64' : 'utf8') : undefined,
    isBase64Encoded: present && base64,
  };
}

/** The Content-Types an HTTP API passes as text; everything else arrives base64-encoded. */
function isText(contentType: string | undefined): boolean {
  if (!contentType) return false;
  return /^(text\/|application\/(json|xml|javascript)|[^;]*\+(json|xml))/i.test(contentType.trim());
}
