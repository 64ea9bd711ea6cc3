import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { httpApiEvent } from '../aws-events/http-api';
import { type ThrottleLimits, tokenBucket } from './token-bucket';

type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface Route {
  method: string;
  path: string;
  handler: HttpHandler;
  context: () => Context;
}

export interface HttpApiOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Each route's throttling limits, as the stage's DefaultRouteSettings set them; none by default. */
  throttle?: ThrottleLimits;
  /** The throttle's clock, in milliseconds. */
  now?: () => number;
}

/** API Gateway's own limit on a request payload. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/**
 * An HTTP API (payload format 2.0) on loopback. Requests become the events API Gateway sends: the
 * headers lower-cased, and the body base64-encoded unless its Content-Type is text (JSON, text/*,
 * XML), as HTTP APIs do, which means a form body arrives base64-encoded, as it does on AWS.
 * An unknown route answers 404 and a body over API Gateway's 10 MB limit 413, as API Gateway would;
 * with `throttle`, a request past a route's rate and burst gets API Gateway's 429, and the handler
 * never sees it.
 */
export async function startHttpApi(
  routes: Route[],
  port: number,
  { host = '127.0.0.1', throttle, now }: HttpApiOptions = {},
): Promise<{ url: string; server: Server; stop: () => Promise<void> }> {
  const admit = new Map(routes.map((route) => [route, throttle ? tokenBucket(throttle, now) : () => true]));
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const route = routes.find((r) => r.method === request.method && r.path === url.pathname);
    const send = (status: number, headers: Record<string, string>, body: string) => {
      response.writeHead(status, headers).end(body);
    };
    if (!route) return send(404, { 'content-type': 'application/json' }, '{"message":"Not Found"}');
    if (admit.get(route)?.() === false)
      return send(429, { 'content-type': 'application/json' }, '{"message":"Too Many Requests"}');
    try {
      const body = await readBody(request);
      if (body === undefined)
        return send(413, { 'content-type': 'application/json' }, '{"message":"Request Entity Too Large"}');
      const result = await route.handler(toEvent(request, url, body, route), route.context());
      const headers = Object.fromEntries(
        Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)]),
      );
      send(
        result.statusCode ?? 200,
        headers,
        result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64').toString() : (result.body ?? ''),
      );
    } catch {
      // What API Gateway answers when the function itself fails.
      send(500, { 'content-type': 'application/json' }, '{"message":"Internal Server Error"}');
    }
  });
  await new Promise<void>((resolve, reject) => server.listen(port, host, resolve).once('error', reject));
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${host === '127.0.0.1' ? 'localhost' : host}:${boundPort}`,
    server,
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The request body, or undefined when it is larger than `maxBytes`. */
export async function readBody(
  request: IncomingMessage,
  maxBytes = MAX_PAYLOAD_BYTES,
): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function toEvent(request: IncomingMessage, url: URL, body: Buffer, route: Route): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return httpApiEvent({
    method: request.method ?? 'GET',
    path: url.pathname,
    query: url.search.slice(1),
    headers,
    body,
    sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
    protocol: `HTTP/${request.httpVersion}`,
    routeKey: `${route.method} ${route.path}`,
  });
}
