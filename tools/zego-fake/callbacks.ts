import { randomBytes } from 'node:crypto';
import { signCallback } from '../../lib/zego/signature';

/** ZEGO's side of a callback: its fields, signed, in each body form ZEGO has used. */

export type Encoding = 'json' | 'form' | 'percent-json';

export interface CallbackSpec {
  event: 'mix_start' | 'mix_stop';
  appid: string;
  taskId: string;
  seq: string;
  secret: string;
  /** Unix seconds; now by default. */
  timestamp?: string;
  nonce?: string;
  room?: string;
  publisher?: string;
  mixUrl?: string;
  alias?: string;
  playUrls?: string[];
}

/** A 19-digit nonce, like ZEGO's: more than a JS number holds. */
export function zegoNonce(): string {
  return (
    (randomBytes(8).readBigUInt64BE() % 9_000_000_000_000_000_000n) +
    1_000_000_000_000_000_000n
  ).toString();
}

/** The callback's fields, every value a string as in ZEGO's current docs, signed with the secret. */
export function buildCallback(spec: CallbackSpec): Record<string, string | string[]> {
  const timestamp = spec.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = spec.nonce ?? zegoNonce();
  const alias = spec.alias ?? `mix-${spec.taskId}`;
  const fields: Record<string, string | string[]> = {
    appid: spec.appid,
    event: spec.event,
    seq: spec.seq,
    task_id: spec.taskId,
    channel_id: spec.room ?? 'room-1',
    publish_id: spec.publisher ?? 'user-1',
    mix_url: spec.mixUrl ?? `rtmp://publish.example.invalid/live/${alias}`,
    mix_stream_alias: alias,
    timestamp,
    nonce,
  };
  if (spec.event === 'mix_start') {
    const urls = spec.playUrls ?? [`rtmp://play.example.invalid/live/${alias}`];
    fields.stream_alias = alias;
    fields.rtmp_urls = urls.filter((url) => url.startsWith('rtmp'));
    fields.hls_urls = urls.filter((url) => url.endsWith('.m3u8'));
    fields.hdl_urls = urls.filter((url) => url.endsWith('.flv'));
  }
  return withSignature(fields, spec.secret);
}

/**
 * The fields with the signature ZEGO would compute over their timestamp and nonce (as text), added
 * last; a `signature` already present is kept (a test that breaks it on purpose).
 */
export function withSignature<T extends Record<string, unknown>>(
  fields: T,
  secret: string,
): T & { signature: unknown } {
  if ('signature' in fields) return fields as T & { signature: unknown };
  const signature = signCallback(secret, {
    timestamp: String(fields.timestamp),
    nonce: String(fields.nonce),
  });
  return { ...fields, signature };
}

export function encodeCallback(
  fields: Record<string, unknown>,
  encoding: Encoding,
): { body: string; contentType: string } {
  if (encoding === 'json') return { body: JSON.stringify(fields), contentType: 'application/json' };
  if (encoding === 'percent-json') {
    return {
      body: encodeURIComponent(JSON.stringify(fields)),
      contentType: 'application/x-www-form-urlencoded',
    };
  }
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) {
    for (const item of Array.isArray(value) ? value : [value])
      form.append(Array.isArray(value) ? `${key}[]` : key, String(item));
  }
  return { body: form.toString(), contentType: 'application/x-www-form-urlencoded' };
}

export interface Attempt {
  /** The HTTP status, or undefined when no answer came (refused, timed out). */
  status?: number;
  body?: string;
  error?: string;
  ms: number;
}

/** One POST, as ZEGO makes it. Never throws: a failure is an attempt without a status. */
export async function postCallback(
  url: string,
  body: string,
  contentType: string,
  timeoutMs = 5_000,
): Promise<Attempt> {
  const started = performance.now();
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return {
      status: response.status,
      body: await response.text(),
      ms: Math.round(performance.now() - started),
    };
  } catch (error) {
    return { error: describeFetchError(error, url, timeoutMs), ms: Math.round(performance.now() - started) };
  }
}

function describeFetchError(error: unknown, url: string, timeoutMs: number): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  if ((error as Error).name === 'TimeoutError') return `no answer from ${url} within ${timeoutMs} ms`;
  if (cause?.code === 'ECONNREFUSED') return `connection refused by ${url}`;
  if (cause?.code === 'ENOTFOUND') return `host not found: ${new URL(url).host}`;
  return `${(error as Error).message}${cause?.code ? ` (${cause.code})` : ''}`;
}
