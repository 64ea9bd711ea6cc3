import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { CallbackError } from '../errors';
import { printable } from '../text/printable';

export interface ErrorAnswer {
  response: APIGatewayProxyStructuredResultV2;
  reason: string;
}

/**
 * The one place an error becomes an HTTP answer. 4xx say why (printable, bounded: a message may
 * quote a little of the input); 5xx say only the reason code.
 */
export function errorAnswer(error: unknown): ErrorAnswer {
  if (error instanceof CallbackError) {
    const { error: code, message } = error.answer;
    const body = message === undefined ? { error: code } : { error: code, message: printable(message, 600) };
    return { response: json(error.status, body), reason: error.reason };
  }
  return { response: json(500, { error: 'internal_error' }), reason: 'internal_error' };
}

export function acceptedAnswer(): APIGatewayProxyStructuredResultV2 {
  return json(200, { ok: true });
}

function json(statusCode: number, body: object): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
