import { parse as parseJson } from 'lossless-json';
import * as z from '../zod';
import { ZEGO_API_CODE } from './codes';
import { newSignatureNonce, signServerApiRequest } from './signature';

export interface ServerApiOptions {
  /** Base URL: `https://rtc-api.zego.im` or a regional host such as `https://rtc-api-sgp.zego.im`. */
  endpoint: string;
  appId: string;
  /** The app's ServerSecret: not its CallbackSecret. */
  serverSecret: string;
  /** Bounds the whole request: connecting, the answer's headers and its body. */
  timeoutMs: number;
  /** Sends `IsTest=true|false` when set; some older projects need `IsTest=false`. */
  isTest?: boolean;
  /** Current time in milliseconds. */
  now?: () => number;
  fetch?: typeof fetch;
}

/**
 * Why an answer says nothing about the task. `internal`: our side failed (a lookup or an injected
 * clock threw), never a ZEGO answer.
 */
export type UnknownReason =
  | 'throttled'
  | 'retry'
  | 'bad_input'
  | 'signature'
  | 'timeout'
  | 'network'
  | 'http_status'
  | 'malformed'
  | 'unknown_code'
  | 'internal';

interface UnknownResult {
  state: 'unknown';
  reason: UnknownReason;
  /** ZEGO's answer code, when there was one. */
  code?: number;
  /** ZEGO's RequestId, for a support ticket. */
  requestId?: string;
  /** Short, one line, no secret and no signature. */
  detail: string;
}

export type MixTaskInfoResult =
  | { state: 'running'; mixDurationSeconds?: number }
  | { state: 'not_found' }
  | UnknownResult;

/** ZEGO adds fields over time; only Code is required. A field of the wrong type counts as absent. */
const orAbsent = <T extends z.ZodMiniType>(schema: T) => z.catch(z.optional(schema), undefined);
const answerSchema = z.looseObject({
  Code: z.int(),
  Message: orAbsent(z.string()),
  RequestId: orAbsent(z.string()),
  Data: z.catch(
    z.nullish(
      z.looseObject({
        TaskInfo: orAbsent(z.looseObject({ MixDuration: orAbsent(z.number().check(z.nonnegative())) })),
      }),
    ),
    undefined,
  ),
});

const MAX_DETAIL_CHARS = 200;

/**
 * ZEGO's answers are a few hundred bytes. A larger one is refused (Content-Length, else while it
 * streams) before it is held in memory: a 60 MB answer once added ~200 MB to the function.
 */
export const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * Asks ZEGO whether a mix task exists (`GetMixTaskInfo`), signed afresh for this call. Never throws:
 * every failure is an `unknown` result, and only ZEGO's "task does not exist" code is `not_found`.
 */
export async function getMixTaskInfo(taskId: string, options: ServerApiOptions): Promise<MixTaskInfoResult> {
  try {
    return await ask(taskId, options);
  } catch (error) {
    // An injected clock or fetch that misbehaves; the name only, the message could hold anything.
    const what = error instanceof Error ? error.name : typeof error;
    return { state: 'unknown', reason: 'internal', detail: `the request could not be made: ${what}` };
  }
}

async function ask(taskId: string, options: ServerApiOptions): Promise<MixTaskInfoResult> {
  const {
    endpoint,
    appId,
    serverSecret,
    timeoutMs,
    isTest,
    now = Date.now,
    fetch = globalThis.fetch,
  } = options;
  // Stryker disable next-line StringLiteral: before signing nothing can quote a signature; any start value redacts nothing
  let signature = '';
  const unknown = (
    reason: UnknownReason,
    detail: string,
    extra: { code?: number; requestId?: string } = {},
  ) =>
    ({ state: 'unknown', reason, ...extra, detail: cleanDetail(detail, [serverSecret, signature]) }) as const;

  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return unknown('network', 'the endpoint is not a valid URL');
  }
  const signatureNonce = newSignatureNonce();
  const timestamp = Math.floor(now() / 1000);
  signature = signServerApiRequest({ appId, signatureNonce, serverSecret, timestamp });
  const query = new URLSearchParams({
    Action: 'GetMixTaskInfo',
    TaskId: taskId,
    AppId: appId,
    SignatureNonce: signatureNonce,
    Timestamp: String(timestamp),
    Signature: signature,
    SignatureVersion: '2.0',
  });
  if (isTest !== undefined) query.set('IsTest', String(isTest));
  url.search = query.toString();

  let status: number;
  let body: Uint8Array | undefined;
  try {
    // Never followed: the query carries the signature, and a redirect would take it elsewhere.
    const response = await fetch(url.toString(), {
      method: 'GET',
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.status;
    if (!response.ok) {
      await discard(response);
      // Not ok and below 400: a redirect (fetch hands over no 1xx; an opaque redirect has status 0).
      if (status < 400)
        return unknown('http_status', redirectDetail(status, response.headers.get('location'), url));
      // A rate limit may come as HTTP 429 rather than as ZEGO's code: the same "later".
      return unknown(status === 429 ? 'throttled' : 'http_status', `HTTP ${status}`);
    }
    body = await readCapped(response, MAX_ANSWER_BYTES);
  } catch (error) {
    if (isTimeout(error)) return unknown('timeout', `no answer within ${timeoutMs} ms`);
    // Only an error code or name: some messages quote the URL, and the URL carries the signature.
    return unknown('network', `request failed: ${errorCode(error)}`);
  }
  if (body === undefined) return unknown('malformed', `the answer is over ${MAX_ANSWER_BYTES} bytes`);

  let json: unknown;
  try {
    json = parseJson(new TextDecoder().decode(body), null, {
      parseNumber: Number,
      onDuplicateKey: ({ key }) => {
        throw new DuplicateKeyError(key);
      },
    });
  } catch (error) {
    // JSON.parse would keep the last of two Codes: an answer that says two things says nothing.
    if (error instanceof DuplicateKeyError)
      return unknown('malformed', `the answer gives "${error.key}" twice, with different values`);
    return unknown('malformed', `HTTP ${status}, the answer is not JSON`);
  }
  const parsed = answerSchema.safeParse(json);
  if (!parsed.success) return unknown('malformed', 'the answer has no integer Code');
  const { Code: code, Message: message = '', RequestId: requestId, Data: data } = parsed.data;
  const said = (what: string) => `${what} (${code}): ${message}`;

  switch (code) {
    case ZEGO_API_CODE.success: {
      const info = data?.TaskInfo;
      if (!info) return unknown('malformed', 'Code 0 without Data.TaskInfo', { code, requestId });
      return info.MixDuration === undefined
        ? { state: 'running' }
        : { state: 'running', mixDurationSeconds: info.MixDuration };
    }
    case ZEGO_API_CODE.mixTaskNotFound:
      return { state: 'not_found' };
    case ZEGO_API_CODE.overloaded:
      return unknown('throttled', said('overloaded'), { code, requestId });
    case ZEGO_API_CODE.failed:
      return unknown('retry', said('failed'), { code, requestId });
    case ZEGO_API_CODE.badInput:
      return unknown('bad_input', said('bad input'), { code, requestId });
    case ZEGO_API_CODE.signatureExpired:
      return unknown('signature', said('signature expired, check the clock'), { code, requestId });
    case ZEGO_API_CODE.signatureWrong:
      return unknown('signature', said('signature wrong, check AppId and ServerSecret'), { code, requestId });
    default:
      return unknown('unknown_code', said('unknown code'), { code, requestId });
  }
}

/** Our AbortSignal firing, or one of undici's own connect/headers/body timeouts. */
function isTimeout(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    error.name === 'TimeoutError' ||
    error.name === 'AbortError' ||
    /^UND_ERR_(CONNECT|HEADERS|BODY)_TIMEOUT$/.test(errorCode(error))
  );
}

function errorCode(error: unknown): string {
  const cause =
    error instanceof Error ? (error.cause as { code?: unknown; name?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.name === 'string') return cause.name;
  return error instanceof Error ? error.name : typeof error;
}

/** Thrown by the parser's duplicate-key hook; a key repeated with the same value is no conflict. */
class DuplicateKeyError extends Error {
  constructor(readonly key: string) {
    super('duplicate key');
  }
}

/** The body, or undefined once it is past `max` bytes (read no further: the rest is never held). */
async function readCapped(response: Response, max: number): Promise<Uint8Array | undefined> {
  if (Number(response.headers.get('content-length')) > max) {
    await discard(response);
    return undefined;
  }
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks, size);
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
}

async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => {});
}

/** Where a redirect pointed, host only: its path and query could quote ours, signature included. */
function redirectDetail(status: number, location: string | null, from: URL): string {
  const to =
    location !== null && URL.canParse(location, from.href) ? ` to ${new URL(location, from).host}` : '';
  return `HTTP ${status}, a redirect${to}: not followed`;
}

/**
 * One short line for logs: no secret (ZEGO's Message might echo one), no control characters. The
 * invisible characters go first, then each secret is redacted however it is dressed: in any case,
 * in compatibility forms (fullwidth, mathematical letters: compared as the letters they stand for),
 * with spaces, controls or combining marks between its characters. The text is recomposed (NFKC) after.
 */
function cleanDetail(text: string, secrets: readonly string[]): string {
  let clean = visible(text);
  const letters = lettersOf(clean).toLowerCase();
  for (const secret of secrets) {
    const wanted = lettersOf(visible(secret)).toLowerCase();
    if (wanted === '') continue;
    // Stryker disable next-line ConditionalExpression: a shortcut (a new pattern takes ~4 ms to compile); without the letters the pattern matches nothing
    if (letters.includes(wanted)) clean = clean.replace(disguisedForms(wanted), '[redacted]');
  }
  clean = clean.normalize('NFKC').trim();
  return clean.length > MAX_DETAIL_CHARS ? `${clean.slice(0, MAX_DETAIL_CHARS - 1)}…` : clean;
}

/**
 * The text as a reader sees it: compatibility forms decomposed to the letters they stand for (NFKD),
 * format characters (zero-width, bidi controls) dropped, each run of control characters and line
 * separators one space.
 */
function visible(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{Cf}/gu, '')
    .replace(/[\p{Cc}\u2028\u2029]+/gu, ' ');
}

/** What the eye reads as a word: the characters but spaces and combining marks. */
function lettersOf(text: string): string {
  return text.replace(/[\s\p{M}]/gu, '');
}

/**
 * `letters` in any case, with any spaces and combining marks between them. Spaces and marks are not
 * among the letters, so the filler never competes with a letter and matching stays linear.
 */
function disguisedForms(letters: string): RegExp {
  return new RegExp(Array.from(letters).map(escapeRegExp).join('[\\s\\p{M}]*'), 'giu');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
