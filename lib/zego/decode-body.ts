import { parse as parseJson } from 'lossless-json';
import { BodyTooLargeError, MalformedBodyError } from '../errors';
import { percentDecoded, percentDecodedStrictly } from '../text/percent-decode';

/** Real callbacks are 1-2 KB; SQS takes 1 MiB. Anything past this is not from ZEGO. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface RawBody {
  body?: string | undefined;
  isBase64Encoded?: boolean | undefined;
}

export type DecodedFields = Record<string, unknown>;

/**
 * Turns a callback body, in any form ZEGO has used, into a plain object of fields.
 *
 * The form is decided by content, since ZEGO documents no Content-Type:
 * - a JSON object: `{"appid":"1",...}`
 * - a percent-encoded JSON object: `%7B%22appid%22...` (`+` read as a space, as UrlDecode does)
 * - an `application/x-www-form-urlencoded` form: `appid=1&event=mix_stop...`
 * Any of them may arrive base64-wrapped by API Gateway. A form is percent-decoded once, by reading
 * it. In JSON, string values that are still percent-encoded (`rtmp%3A%2F%2F...`) are decoded once,
 * except the task_id, which is kept exactly as sent: it names the task, and reconciliation asks
 * ZEGO about its decoded forms itself (lib/reconcile/task-id-forms.ts).
 *
 * JSON integers too large for a JS number (a 19-digit nonce) are kept as their exact digits.
 */
export function decodeBody(raw: RawBody): DecodedFields {
  const text = bodyText(raw).trim();
  if (text === '') throw new MalformedBodyError('the body is empty');

  let fields: DecodedFields;
  if (text.startsWith('{')) {
    fields = decodeStringValues(parseJsonObject(text));
  } else if (/^%7b/i.test(text)) {
    const json = percentDecode(text.replaceAll('+', ' '), 'the percent-encoded JSON body');
    fields = decodeStringValues(parseJsonObject(json));
  } else if (/^[^=&]+=/.test(text)) {
    fields = parseForm(text);
  } else {
    throw new MalformedBodyError('the body is neither JSON, percent-encoded JSON nor a url-encoded form');
  }
  checkWellFormed(fields);
  return fields;
}

/**
 * A lone surrogate (a JSON "\\ud800" escape alone) is not text: no UTF-8 store, DynamoDB included,
 * can keep it as sent, so it is refused here rather than lost later.
 */
function checkWellFormed(value: unknown, path = 'the body'): void {
  if (typeof value === 'string') {
    if (!value.isWellFormed())
      throw new MalformedBodyError(`${path} holds a lone surrogate (not valid Unicode text)`);
  } else if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) checkWellFormed(item, `${path}[${index}]`);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const where = path === 'the body' ? 'a field' : path;
      if (!key.isWellFormed())
        throw new MalformedBodyError(`${where} has a name with a lone surrogate (not valid Unicode text)`);
      checkWellFormed(item, path === 'the body' && /^[\w.-]{1,64}$/.test(key) ? key : where);
    }
  }
}

function bodyText({ body, isBase64Encoded }: RawBody): string {
  if (body === undefined || body === null) throw new MalformedBodyError('the body is empty');
  const size = isBase64Encoded ? Buffer.byteLength(body, 'base64') : Buffer.byteLength(body, 'utf8');
  if (size > MAX_BODY_BYTES) {
    throw new BodyTooLargeError(`the body is ${size} bytes; at most ${MAX_BODY_BYTES} are accepted`);
  }
  if (!isBase64Encoded) return body;
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(body.trim())) {
    throw new MalformedBodyError('the body is marked base64 but is not valid base64');
  }
  return Buffer.from(body, 'base64').toString('utf8');
}

function parseJsonObject(text: string): object {
  checkDepth(text);
  let value: unknown;
  try {
    value = parseJson(text, null, keepLargeIntegersExact);
  } catch (error) {
    // The parser's messages quote the input; say only where it went wrong.
    const at = /position (\d+)/.exec(String((error as Error).message))?.[1];
    // Stryker disable next-line StringLiteral: every lossless-json syntax error names a position today
    throw new MalformedBodyError(`the body is not valid JSON${at ? ` (at character ${at})` : ''}`, {
      cause: error,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    // Stryker disable next-line StringLiteral: unreachable: text starting with "{" parses to an object or throws
    throw new MalformedBodyError('the JSON body is not an object');
  }
  return value;
}

/** ZEGO's callbacks nest two levels (lists of play URLs); this leaves room and bounds the recursion. */
export const MAX_JSON_DEPTH = 32;

/** Refuses nesting deeper than MAX_JSON_DEPTH before any recursive parser or serialiser meets it. */
function checkDepth(text: string): void {
  let depth = 0;
  let inString = false;
  // Stryker disable next-line EqualityOperator: charCodeAt past the end is NaN, which matches nothing
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c)
        i++; // backslash: skip the escaped character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x7b || char === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) {
        throw new MalformedBodyError(`the JSON body nests deeper than ${MAX_JSON_DEPTH} levels`);
      }
    } else if (char === 0x7d || char === 0x5d) depth--;
  }
}

/** Safe numbers stay numbers; anything a double would round is kept as its digits. */
function keepLargeIntegersExact(digits: string): number | string {
  const value = Number(digits);
  return Number.isSafeInteger(value) || !/^-?\d+$/.test(digits) ? value : digits;
}

function parseForm(text: string): DecodedFields {
  const fields = new Map<string, string | string[]>();
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const rawKey = at === -1 ? pair : pair.slice(0, at);
    const rawValue = at === -1 ? '' : pair.slice(at + 1);
    const key = percentDecode(rawKey.replaceAll('+', ' '), 'a form key').replace(/\[\]$/, '');
    const value = percentDecode(rawValue.replaceAll('+', ' '), `the form value of "${key}"`);
    const seen = fields.get(key);
    if (seen === undefined) {
      fields.set(key, rawKey.endsWith('[]') || rawKey.endsWith('%5B%5D') ? [value] : value);
    } else {
      fields.set(key, Array.isArray(seen) ? [...seen, value] : [seen, value]);
    }
  }
  // fromEntries defines own properties, so a "__proto__" key cannot reach the prototype.
  return Object.fromEntries(fields);
}

function percentDecode(text: string, what: string): string {
  const decoded = percentDecodedStrictly(text);
  if (decoded === undefined) throw new MalformedBodyError(`${what} has invalid percent-encoding`);
  return decoded;
}

/**
 * ZEGO's current docs tell receivers to UrlDecode the data, so JSON string values may still be
 * percent-encoded. Decode each such value once (each run of escapes that is UTF-8; a literal "%" is
 * kept): top-level strings and strings in top-level arrays (the play URL lists), which is every
 * shape ZEGO sends; nested objects are kept as received.
 * `+` is left alone: inside JSON it is more likely a literal plus (in a URL) than an encoded space,
 * and no signed field can contain one. The task_id is kept as sent: `abc%41` stays `abc%41`.
 */
function decodeStringValues(fields: object): DecodedFields {
  return Object.fromEntries(
    Object.entries(fields).map(([key, value]) => [
      key,
      key === 'task_id' ? value : Array.isArray(value) ? value.map(decodeEscapes) : decodeEscapes(value),
    ]),
  );
}

function decodeEscapes(value: unknown): unknown {
  return typeof value === 'string' ? percentDecoded(value) : value;
}
