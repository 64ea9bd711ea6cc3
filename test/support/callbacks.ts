import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { httpApiEvent } from '../../tools/aws-events/http-api';
import { encodeCallback, withSignature } from '../../tools/zego-fake/callbacks';

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
  return withSignature(
    {
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
    },
    secret,
  );
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

/** The bodies ZEGO sends, as the ZEGO fake builds them (tools/zego-fake/callbacks.ts). */
export const encode = {
  json: (fields: CallbackFields) => encodeCallback(fields, 'json').body,
  /** What a form POST sends: every value as a string, lists as repeated `key[]`. */
  form: (fields: CallbackFields) => encodeCallback(fields, 'form').body,
  /** The current docs' "perform UrlDecode decoding on it": the whole JSON percent-encoded. */
  percentJson: (fields: CallbackFields) => encodeCallback(fields, 'percent-json').body,
};

/** An API Gateway HTTP API (payload 2.0) event carrying `body`, as text or base64. */
export function apiGatewayEvent(
  body: string | undefined,
  { base64 = false, headers = {} }: { base64?: boolean; headers?: Record<string, string> } = {},
): APIGatewayProxyEventV2 {
  return httpApiEvent({
    body,
    bodyEncoding: base64 ? 'base64' : 'text',
    headers: { 'content-type': 'application/json', ...headers },
  });
}
