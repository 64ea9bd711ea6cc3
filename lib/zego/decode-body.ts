import { BodyTooLargeError, MalformedBodyError } from '../errors';
import { percentDecodedEach, percentDecodedStrictly } from '../text/percent-decode';

/**
 * Limits no callback from ZEGO comes near (docs/endpoint-and-data.md has the arithmetic), each
 * refused with a 400 saying which, the size with a 413. Anyone can send a body, and it is decoded
 * before the signature is checked: these keep what one request can cost within about 20 genuine
 * callbacks' decoding (`npm run bench:decode`). Past them, cost grows with the size and with each
 * name (V8 spends a microsecond or so on a name it has never seen), not faster.
 */

/** The largest genuine callback (a mix_start, every field at its documented size) is ~6 KB. */
export const MAX_BODY_BYTES = 32 * 1024;
/** Names and list items in the whole body, every level counted. A mix_start has 18 names. */
export const MAX_FIELDS = 64;
/** Items in one list: one JSON array, or the values of one form key given again. */
export const MAX_LIST_ITEMS = 32;
/** Characters in one name, as written (escapes count as written); ZEGO's longest has 16. */
export const MAX_NAME_LENGTH = 64;
/** ZEGO's callbacks nest two levels (lists of play URLs); this leaves room and bounds the recursion. */
export const MAX_JSON_DEPTH = 32;

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
    fields = parseJsonObject(text);
  } else if (/^%7b/i.test(text)) {
    fields = parseJsonObject(percentDecode(text.replaceAll('+', ' '), 'the percent-encoded JSON body'));
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
 * can keep it as sent, so it is refused here rather than lost later. The answer says where: the
 * field, when its name can be quoted.
 */
function checkWellFormed(fields: DecodedFields): void {
  for (const [name, value] of Object.entries(fields)) {
    if (!name.isWellFormed())
      throw new MalformedBodyError('a field has a name with a lone surrogate (not valid Unicode text)');
    const where = wellFormedIssue(value);
    if (where !== undefined) {
      const field = quotable(name) ? name : 'a field';
      throw new MalformedBodyError(
        where === '' ? `${field} holds a lone surrogate (not valid Unicode text)` : `${field}${where}`,
      );
    }
  }
}

/** Undefined if `value` is well-formed throughout; else where it is not, after the field's name. */
function wellFormedIssue(value: unknown): string | undefined {
  if (typeof value === 'string') return value.isWellFormed() ? undefined : '';
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const where = wellFormedIssue(item);
      if (where === '') return `[${index}] holds a lone surrogate (not valid Unicode text)`;
      if (where !== undefined) return where.startsWith('[') ? `[${index}]${where}` : where;
    }
  } else if (typeof value === 'object' && value !== null) {
    // Inside an object, the place is the field that holds it.
    for (const [name, item] of Object.entries(value)) {
      if (!name.isWellFormed()) return ' has a name with a lone surrogate (not valid Unicode text)';
      const where = wellFormedIssue(item);
      if (where !== undefined)
        return where === '' ? ' holds a lone surrogate (not valid Unicode text)' : where;
    }
  }
  return undefined;
}

/** A name short and plain enough to quote in an answer. */
const quotable = (name: string) => /^[\w.-]{1,64}$/.test(name);
const described = (name: string) => (quotable(name) ? `"${name}"` : 'a field');

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

/**
 * A JSON object: scanned (the limits, the rewrites), then parsed by JSON.parse. A name given twice
 * is refused: two parsers would disagree on which value counts, and JSON.parse keeps the last.
 */
function parseJsonObject(text: string): DecodedFields {
  const { json, names } = scanJson(text);
  let fields: DecodedFields;
  try {
    // The text starts with "{", so what parses is an object.
    fields = JSON.parse(json);
  } catch (error) {
    // The parser's messages may quote the input: say only where it went wrong, when the place is
    // one in the body (a rewrite moved what follows it).
    const at = json === text ? /position (\d+)/.exec(String(error))?.[1] : undefined;
    throw new MalformedBodyError(`the body is not valid JSON${at ? ` (at character ${at})` : ''}`, {
      cause: error,
    });
  }
  if (namesIn(fields) < names) throw new MalformedBodyError('the JSON body gives a name twice in one object');
  return fields;
}

/** How many names the objects in `value` hold, all levels. */
function namesIn(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const items = Array.isArray(value) ? value : Object.values(value);
  let names = Array.isArray(value) ? 0 : items.length;
  for (const item of items) if (typeof item === 'object') names += namesIn(item);
  return names;
}

const QUOTE = 0x22;
/** JSON's whitespace, a number, and the rest of a string after its opening quote. */
const WHITESPACE = /[ \t\n\r]*/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const STRING_REST = /[^"\\]*(?:\\[\s\S][^"\\]*)*"/y;
const LITERALS = ['true', 'false', 'null'];

/** What the scanner expects next. */
enum Next {
  Value,
  Name,
  Colon,
  /** After a value: a comma or the end of its object or list. */
  After,
}

/** A part of the text to write otherwise: a number as a string, a value percent-decoded. */
interface Edit {
  start: number;
  end: number;
  /** The replacement, or, for a value to percent-decode, undefined until all are decoded at once. */
  text?: string;
}

/**
 * One pass over a JSON text before JSON.parse sees it, in steps of whole tokens: strings, numbers
 * and whitespace are skipped by native regular expressions, so the steps taken here are bounded by
 * the field limit, not by the body's size. Refuses what no genuine callback holds: nesting, names
 * and list items past the limits, a long name. At the first character that is not JSON it stops
 * and leaves the text to JSON.parse, which refuses it. Returns the text to parse, with two
 * rewrites (so that JSON.parse builds the object once, with its final values):
 * - a whole number a double would round (a 19-digit nonce) is quoted, so its digits are kept;
 * - a string value with an escape, or one in a top-level list (the play URLs), is percent-decoded
 *   once: ZEGO's current docs tell receivers to UrlDecode the data. Not the task_id, kept as sent;
 *   not the strings of nested objects, kept as received. `+` stays a plus: in JSON it is more
 *   likely a plus in a URL than an encoded space, and no signed field can hold one.
 */
function scanJson(text: string): { json: string; names: number } {
  /** Per open container: whether it is an object, and the items counted in a list. */
  const open: { object: boolean; items: number }[] = [];
  let fields = 0;
  let names = 0;
  let next = Next.Value;
  /** Just after "{" or "[": the container may close at once. */
  let opened = false;
  /** The name of the top-level member being read: its string values are decoded unless task_id. */
  let member = '';
  const edits: Edit[] = [];

  for (let i = skipWhitespace(text, 0); i < text.length; i = skipWhitespace(text, i)) {
    const char = text.charCodeAt(i);
    const top = open[open.length - 1];
    if ((char === 0x7d || char === 0x5d) && (next === Next.After || opened)) {
      // "}" or "]": it must close what is open.
      if (top === undefined || (char === 0x7d) !== top.object) return { json: text, names };
      open.pop();
      i++;
      next = Next.After;
      opened = false;
      continue;
    }
    opened = false;
    if (next === Next.Name) {
      const end = stringEnd(text, i);
      // A name as written, escapes and all: no genuine name is long or escaped.
      if (end < 0) return { json: text, names };
      if (end - i - 2 > MAX_NAME_LENGTH) throw nameTooLong();
      if (open.length === 1) member = nameAt(text, i, end);
      names++;
      if (++fields > MAX_FIELDS) throw tooMany();
      i = end;
      next = Next.Colon;
    } else if (next === Next.Colon) {
      if (char !== 0x3a) return { json: text, names };
      i++;
      next = Next.Value;
    } else if (next === Next.After) {
      if (char !== 0x2c || top === undefined) return { json: text, names };
      i++;
      next = top.object ? Next.Name : Next.Value;
    } else {
      if (top !== undefined && !top.object) {
        if (++fields > MAX_FIELDS) throw tooMany();
        if (++top.items > MAX_LIST_ITEMS)
          throw new MalformedBodyError(`a JSON list in the body holds more than ${MAX_LIST_ITEMS} items`);
      }
      next = Next.After;
      if (char === 0x7b || char === 0x5b) {
        // "{" or "["
        if (open.length === MAX_JSON_DEPTH) {
          throw new MalformedBodyError(`the JSON body nests deeper than ${MAX_JSON_DEPTH} levels`);
        }
        open.push({ object: char === 0x7b, items: 0 });
        next = char === 0x7b ? Next.Name : Next.Value;
        opened = true;
        i++;
      } else if (char === QUOTE) {
        const end = stringEnd(text, i);
        if (end < 0) return { json: text, names };
        const topLevel = open.length === 1 || (open.length === 2 && !(top as { object: boolean }).object);
        // A "%" may be written as one, or as a JSON escape.
        const string = text.slice(i, end);
        if (topLevel && member !== 'task_id' && (string.includes('%') || string.includes('\\'))) {
          edits.push({ start: i, end });
        }
        i = end;
      } else if (char === 0x2d || (char >= 0x30 && char <= 0x39)) {
        NUMBER.lastIndex = i;
        if (!NUMBER.test(text)) return { json: text, names };
        const end = NUMBER.lastIndex;
        // Up to 15 digits is always exact; a whole number a double would round keeps its digits.
        const number = text.slice(i, end);
        if (number.length > 15 && /^-?\d+$/.test(number) && !Number.isSafeInteger(Number(number))) {
          edits.push({ start: i, end, text: `"${number}"` });
        }
        i = end;
      } else {
        const literal = LITERALS.find((word) => text.startsWith(word, i));
        if (literal === undefined) return { json: text, names };
        i += literal.length;
      }
    }
  }
  return { json: edited(text, edits), names };
}

/** The name whose string runs from `start` to `end`, quotes included. */
function nameAt(text: string, start: number, end: number): string {
  const name = text.slice(start + 1, end - 1);
  if (!name.includes('\\')) return name;
  try {
    return JSON.parse(text.slice(start, end));
  } catch {
    return name; // not a JSON string: JSON.parse refuses the body
  }
}

/** The text with its edits made; the values to percent-decode all decoded at once. */
function edited(text: string, edits: Edit[]): string {
  if (edits.length === 0) return text;
  const pending = edits.filter((edit) => edit.text === undefined);
  let values: string[];
  try {
    values = pending.map(({ start, end }) => {
      const raw = text.slice(start + 1, end - 1);
      return raw.includes('\\') ? JSON.parse(text.slice(start, end)) : raw;
    });
  } catch {
    return text; // a string that is not JSON: JSON.parse refuses the body, saying where
  }
  const decoded = percentDecodedEach(values);
  for (const [index, edit] of pending.entries()) edit.text = JSON.stringify(decoded[index]);
  let json = '';
  let copied = 0;
  for (const { start, end, text: replacement } of edits) {
    json += text.slice(copied, start) + replacement;
    copied = end;
  }
  return json + text.slice(copied);
}

function skipWhitespace(text: string, at: number): number {
  if (text.charCodeAt(at) > 0x20) return at;
  WHITESPACE.lastIndex = at;
  WHITESPACE.test(text);
  return WHITESPACE.lastIndex;
}

/** Past the closing quote of the string that opens at `at`, or -1 if none opens or closes there. */
function stringEnd(text: string, at: number): number {
  if (text.charCodeAt(at) !== QUOTE) return -1;
  // Most strings hold no escape: the next quote closes them.
  const quote = text.indexOf('"', at + 1);
  if (quote !== -1 && !text.slice(at + 1, quote).includes('\\')) return quote + 1;
  STRING_REST.lastIndex = at + 1;
  return STRING_REST.test(text) ? STRING_REST.lastIndex : -1;
}

const tooMany = () =>
  new MalformedBodyError(`the body holds more than ${MAX_FIELDS} fields (names and list items)`);

const nameTooLong = () =>
  new MalformedBodyError(`a name in the body is longer than ${MAX_NAME_LENGTH} characters`);

/**
 * A url-encoded form, each name and value percent-decoded once. A name given again, or written
 * `name[]`, makes a list.
 */
function parseForm(text: string): DecodedFields {
  // Built without a prototype, so "__proto__" is a name like any other; given one at the end.
  const fields: Record<string, string | string[]> = Object.create(null);
  let pairs = 0;
  for (let start = 0; start <= text.length; ) {
    let end = text.indexOf('&', start);
    if (end === -1) end = text.length;
    // Empty pairs ("&&") count too: each costs a step.
    if (++pairs > MAX_FIELDS) throw tooMany();
    const pair = text.slice(start, end);
    start = end + 1;
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const rawName = at === -1 ? pair : pair.slice(0, at);
    const rawValue = at === -1 ? '' : pair.slice(at + 1);
    if (rawName.length > MAX_NAME_LENGTH) throw nameTooLong();
    const decodedName = percentDecode(rawName.replaceAll('+', ' '), 'a form key');
    const name = decodedName.replace(/\[\]$/, '');
    const value = percentDecodedStrictly(rawValue.replaceAll('+', ' '));
    if (value === undefined) {
      throw new MalformedBodyError(`the form value of ${described(name)} has invalid percent-encoding`);
    }
    const seen = fields[name];
    if (seen === undefined) {
      fields[name] = name === decodedName ? value : [value];
    } else if (!Array.isArray(seen)) {
      fields[name] = [seen, value];
    } else if (seen.push(value) > MAX_LIST_ITEMS) {
      throw new MalformedBodyError(`the form gives ${described(name)} more than ${MAX_LIST_ITEMS} times`);
    }
  }
  return Object.setPrototypeOf(fields, Object.prototype);
}

function percentDecode(text: string, what: string): string {
  const decoded = percentDecodedStrictly(text);
  if (decoded === undefined) throw new MalformedBodyError(`${what} has invalid percent-encoding`);
  return decoded;
}
