import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { signCallback } from '../../lib/zego/signature';
import { encodeCallback } from '../../tools/zego-fake/callbacks';
import postCallback from '../events/apigw/post-callback.json';

/** Obviously fake: no real CallbackSecret appears in this repository. */
export const TEST_SECRET = 'fixture-secret-not-real';
/** The docs' example time; tests pin the clock to it. */
export const TEST_NOW_MS = 1_689_835_223_000;

export type CallbackFields = Record<string, unknown>;

/** The docs' example nonce, then the next ones: each callback built gets its own, as from ZEGO. */
let nextNonce = 7_257_787_020_413_449_571n;

/**
 * The docs' mix_stop example, re-signed with TEST_SECRET, with a nonce of its own (a signature is
 * good for one callback). Pass overrides to change fields; the signature is computed after them
 * unless `signature` is overridden, so each test breaks one thing.
 */
export function signedCallback(overrides: CallbackFields = {}, secret = TEST_SECRET): CallbackFields {
  const fields: CallbackFields = {
    appid: '111111',
    channel_id: '2222',
    event: 'mix_stop',
    mix_stream_alias: 'aaa',
    mix_url: 'rtmp://rtmp.wsdemo.zego.im/zegodemo/aaa',
    nonce: String(nextNonce++),
    publish_id: 'abc',
    seq: '1234',
    task_id: '111111:1111',
    timestamp: '1689835223',
    ...overrides,
  };
  if (!('signature' in overrides)) {
    fields.signature = signCallback(secret, {
      timestamp: String(fields.timestamp),
      nonce: String(fields.nonce),
    });
  }
  return fields;
}

export function signedMixStart(overrides: CallbackFields = {}, secret = TEST_SECRET): CallbackFields {
  return signedCallback(
    {
      event: 'mix_start',
      seq: '123',
      stream_alias: 'aaa',
      rtmp_urls: ['rtmp://play.example.invalid/live/aaa'],
      hls_urls: ['https://play.example.invalid/live/aaa.m3u8'],
      hdl_urls: ['https://play.example.invalid/live/aaa.flv'],
      ...overrides,
    },
    secret,
  );
}

/** The bodies ZEGO sends, as the CLI builds them (cli/zego-client.ts). */
export const encode = {
  json: (fields: CallbackFields) => encodeCallback(fields, 'json').body,
  /** What a form POST sends: every value as a string, lists as repeated `key[]`. */
  form: (fields: CallbackFields) => encodeCallback(fields, 'form').body,
  /** The current docs' "perform UrlDecode on it": the whole JSON percent-encoded. */
  percentJson: (fields: CallbackFields) => encodeCallback(fields, 'percent-json').body,
};

/** A real API Gateway HTTP API (payload 2.0) event carrying `body`. */
export function apiGatewayEvent(
  body: string | undefined,
  { base64 = false, headers = {} }: { base64?: boolean; headers?: Record<string, string> } = {},
): APIGatewayProxyEventV2 {
  const event = structuredClone(postCallback) as APIGatewayProxyEventV2;
  event.body = body === undefined ? undefined : base64 ? Buffer.from(body, 'utf8').toString('base64') : body;
  event.isBase64Encoded = base64;
  event.headers = { ...event.headers, ...headers };
  return event;
}
