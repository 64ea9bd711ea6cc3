import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { SIGNATURE_SKEW_SECONDS, ZEGO_API_CODE } from '../../lib/zego-server-api/codes';
import { signServerApiRequest } from '../../lib/zego-server-api/signature';
import * as z from '../../lib/zod';
import { readBody } from '../local-stack/http-api';

/**
 * - none: answers as ZEGO documents;
 * - throttle / retry: every API call gets ZEGO's "overloaded" (110200194) / "failed" (110200001);
 * - hang: requests are accepted and never answered;
 * - http500: HTTP 500 with a text body;
 * - garbage: HTTP 200 with a body that is not JSON;
 * - redirect: HTTP 302 back to the same URL, signature and all (a client that follows asks again);
 * - oversized: HTTP 200, chunked (no Content-Length), a JSON answer padded to 64 MiB;
 * - duplicateCode: `{"Code":0,...,"Code":110209001}`, which JSON.parse reads as the last Code.
 */
type FakeFault =
  | 'none'
  | 'throttle'
  | 'retry'
  | 'hang'
  | 'http500'
  | 'garbage'
  | 'redirect'
  | 'oversized'
  | 'duplicateCode';

export interface FakeZegoServerApiOptions {
  /** 0 picks a free port. */
  port?: number;
  /** Loopback only: the control interface has no authentication. */
  host?: string;
  /** appid -> ServerSecret. */
  apps: Record<string, string>;
  /** Current time in milliseconds: checks Timestamp, measures MixDuration. */
  now?: () => number;
}

/** One API call received (control calls are not listed). `code`: the Code answered, if any. */
interface FakeApiRequest {
  action: string | null;
  appId: string | null;
  taskId: string | null;
  code?: number;
}

export interface FakeZegoServerApi {
  url: string;
  stop(): Promise<void>;
  startMix(appId: string, taskId: string): void;
  /** Stopped normally. */
  stopMix(appId: string, taskId: string): void;
  /** Died abnormally: the task no longer exists (this fake never sends callbacks, so none is sent). */
  killMix(appId: string, taskId: string): void;
  setFault(mode: FakeFault): void;
  requests(): readonly FakeApiRequest[];
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);
const MAX_CONTROL_BODY_BYTES = 64 * 1024;
const COMMON_PARAMS = ['Action', 'AppId', 'SignatureNonce', 'Timestamp', 'Signature', 'SignatureVersion'];

const controlSchema = z.object({
  action: z.enum(['start', 'stop', 'kill']),
  appid: z.string().check(z.minLength(1)),
  task_id: z.string().check(z.minLength(1)),
});

interface ApiAnswer {
  Code: number;
  Message: string;
  Data?: unknown;
}

/**
 * A local stand-in for ZEGO's server API (`GetMixTaskInfo` only), for tests and `npm start`.
 * It checks the common parameters and the signature as ZEGO documents them, and knows a task as
 * running by the exact TaskId string it was started with: the caller decides which form to ask.
 *
 * Another process drives it with `POST /_fake/mixes` `{"action":"start|stop|kill","appid","task_id"}`.
 */
export async function startFakeZegoServerApi({
  port = 0,
  host = '127.0.0.1',
  apps,
  now = Date.now,
}: FakeZegoServerApiOptions): Promise<FakeZegoServerApi> {
  if (!LOOPBACK_HOSTS.has(host)) throw new Error(`the fake ZEGO server API binds loopback only, not ${host}`);
  const secrets = new Map(Object.entries(apps));
  /** `appid\ntask id` -> start time in ms. */
  const running = new Map<string, number>();
  const received: FakeApiRequest[] = [];
  let fault: FakeFault = 'none';
  const key = (appId: string, taskId: string) => `${appId}\n${taskId}`;

  const control = {
    start(appId: string, taskId: string) {
      if (!secrets.has(appId)) throw new Error(`unknown appid ${appId}`);
      running.set(key(appId, taskId), now());
    },
    end(appId: string, taskId: string) {
      running.delete(key(appId, taskId));
    },
  };

  const answerApi = (query: URLSearchParams): ApiAnswer => {
    const one = (name: string) => (query.getAll(name).length === 1 ? query.get(name) : null);
    const bad = (message: string) => ({ Code: ZEGO_API_CODE.badInput, Message: message });
    const missing = COMMON_PARAMS.filter((name) => !one(name));
    const [action, appId, nonce, timestamp, signature, version] = COMMON_PARAMS.map(one);
    if (!action || !appId || !nonce || !timestamp || !signature || !version)
      return bad(`missing or repeated parameter: ${missing.join(', ')}`);
    if (version !== '2.0') return bad('SignatureVersion must be 2.0');
    if (!/^[0-9a-f]{16}$/.test(nonce)) return bad('SignatureNonce must be 16 hex characters');
    if (!/^\d{1,12}$/.test(timestamp)) return bad('Timestamp must be Unix seconds');
    const secret = secrets.get(appId);
    if (secret === undefined) return { Code: ZEGO_API_CODE.signatureWrong, Message: 'unknown AppId' };
    if (Math.abs(Math.floor(now() / 1000) - Number(timestamp)) > SIGNATURE_SKEW_SECONDS)
      return { Code: ZEGO_API_CODE.signatureExpired, Message: 'signature expired' };
    const expected = signServerApiRequest({ appId, signatureNonce: nonce, serverSecret: secret, timestamp });
    if (signature !== expected) return { Code: ZEGO_API_CODE.signatureWrong, Message: 'signature wrong' };
    if (action !== 'GetMixTaskInfo') return bad('unsupported Action: this fake serves GetMixTaskInfo only');
    const taskId = one('TaskId');
    if (!taskId) return bad('missing or repeated parameter: TaskId');
    const startedAt = running.get(key(appId, taskId));
    if (startedAt === undefined) return { Code: ZEGO_API_CODE.mixTaskNotFound, Message: 'task not exist' };
    const mixDuration = Math.max(0, Math.floor((now() - startedAt) / 1000));
    return {
      Code: ZEGO_API_CODE.success,
      Message: 'success',
      Data: { TaskInfo: { TaskId: taskId, MixDuration: mixDuration } },
    };
  };

  const serveApi = (query: URLSearchParams, path: string, response: ServerResponse) => {
    const request: FakeApiRequest = {
      action: query.get('Action'),
      appId: query.get('AppId'),
      taskId: query.get('TaskId'),
    };
    received.push(request);
    if (fault === 'hang') return; // the socket stays open until the client gives up or stop()
    if (fault === 'http500') return send(response, 500, 'text/plain', 'internal error');
    if (fault === 'garbage')
      return send(response, 200, 'text/html', '<html><body>502 Bad Gateway</body></html>');
    if (fault === 'redirect') return void response.writeHead(302, { location: path }).end();
    if (fault === 'oversized') return sendOversized(response);
    if (fault === 'duplicateCode') {
      const running = { Code: ZEGO_API_CODE.success, Message: 'success', RequestId: randomUUID() };
      const body = JSON.stringify({ ...running, Data: { TaskInfo: { TaskId: query.get('TaskId') } } });
      return send(response, 200, 'application/json', `${body.slice(0, -1)},"Code":110209001}`);
    }
    const answer: ApiAnswer =
      fault === 'throttle'
        ? { Code: ZEGO_API_CODE.overloaded, Message: 'system busy, try later' }
        : fault === 'retry'
          ? { Code: ZEGO_API_CODE.failed, Message: 'failed, retry' }
          : answerApi(query);
    request.code = answer.Code;
    send(response, 200, 'application/json', JSON.stringify({ ...answer, RequestId: randomUUID() }));
  };

  const serveControl = async (request: IncomingMessage, response: ServerResponse) => {
    if (request.method !== 'POST') return send(response, 405, 'text/plain', 'POST only');
    const body = await readText(request);
    let json: unknown;
    try {
      json = body === undefined ? undefined : JSON.parse(body);
    } catch {
      json = undefined;
    }
    const parsed = controlSchema.safeParse(json);
    if (!parsed.success || !secrets.has(parsed.data.appid))
      return send(
        response,
        400,
        'text/plain',
        'expected {"action":"start|stop|kill","appid","task_id"} of a known appid',
      );
    const { action, appid, task_id } = parsed.data;
    if (action === 'start') control.start(appid, task_id);
    else control.end(appid, task_id);
    send(response, 204, 'text/plain', '');
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://fake.invalid');
    const handled =
      url.pathname === '/_fake/mixes'
        ? serveControl(request, response)
        : request.method === 'GET' && url.pathname === '/'
          ? Promise.resolve(serveApi(url.searchParams, request.url ?? '/', response))
          : Promise.resolve(send(response, 404, 'text/plain', 'not found'));
    handled.catch(() => {
      if (!response.headersSent) send(response, 500, 'text/plain', 'fake failed');
    });
  });
  await new Promise<void>((resolve, reject) => server.listen(port, host, resolve).once('error', reject));
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    startMix: control.start,
    stopMix: control.end,
    killMix: control.end,
    setFault(mode) {
      fault = mode;
    },
    requests: () => [...received],
  };
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'content-type': contentType }).end(body);
}

const OVERSIZED_BYTES = 64 * 1024 * 1024;
const OVERSIZED_CHUNK = Buffer.alloc(64 * 1024, ' ');

/** A not-found answer padded with spaces to 64 MiB, written as the client reads, until it hangs up. */
function sendOversized(response: ServerResponse): void {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.write('{"Code":110209001,"Message":"');
  let written = 0;
  const more = () => {
    while (written < OVERSIZED_BYTES && !response.destroyed) {
      written += OVERSIZED_CHUNK.length;
      if (!response.write(OVERSIZED_CHUNK)) return void response.once('drain', more);
    }
    if (!response.destroyed) response.end('"}');
  };
  more();
}

/** The body as text, or undefined when it is larger than a control call needs. */
async function readText(request: IncomingMessage): Promise<string | undefined> {
  return (await readBody(request, MAX_CONTROL_BODY_BYTES))?.toString('utf8');
}

/**
 * Tells a running fake (another process's) that ZEGO started, stopped or lost a mix: what the
 * `zego` CLI does when it plays ZEGO against `npm start`.
 */
export async function driveFakeMix(
  url: string,
  action: 'start' | 'stop' | 'kill',
  appid: string,
  taskId: string,
): Promise<void> {
  const response = await fetch(`${url}/_fake/mixes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ action, appid, task_id: taskId }),
    signal: AbortSignal.timeout(5_000),
  });
  if (response.status !== 204) throw new Error(`the fake ZEGO server API answered ${response.status}`);
}
