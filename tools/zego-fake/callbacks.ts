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
