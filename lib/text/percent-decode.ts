/**
 * Percent-decoding, once. decodeURIComponent does it natively, but throws on a stray "%" or on
 * escapes that are not UTF-8, and each throw costs about as much as decoding a whole genuine
 * callback (a hostile body can carry a hundred such values). So it is used with at most one
 * exception per call, and the rest is decoded here, without exceptions. Escapes are read as UTF-8;
 * `+` stays a plus.
 */

/**
 * decodeURIComponent's result, or undefined where it would throw (a `%` that starts no escape,
 * escapes that are not UTF-8). The rule for text that must be percent-encoded: a form, a
 * percent-encoded JSON body.
 */
export function percentDecodedStrictly(text: string): string | undefined {
  const first = text.indexOf('%');
  if (first === -1) return text;
  // decodeURIComponent copies every character it is given: give it only the part with escapes.
  const end = text.lastIndexOf('%') + 3;
  try {
    return text.slice(0, first) + decodeURIComponent(text.slice(first, end)) + text.slice(end);
  } catch {
    return undefined;
  }
}

/**
 * `text` with each run of `%XX` escapes decoded as UTF-8. A `%` that starts no escape, and a run
 * that is not UTF-8, are kept as they are, so a literal `%` survives. The rule for a value that may
 * or may not have been percent-encoded: a callback's JSON string values, a task id's decoded form.
 */
export function percentDecoded(text: string): string {
  return percentDecodedEach([text])[0] as string;
}

/**
 * percentDecoded of each text, with at most one exception in all: each is decoded natively until
 * one is not strictly decodable; from then on each is decoded here, run by run.
 */
export function percentDecodedEach(texts: readonly string[]): string[] {
  let strict = true;
  return texts.map((text) => {
    const decoded = strict ? percentDecodedStrictly(text) : undefined;
    if (decoded !== undefined) return decoded;
    strict = false;
    return decodeRuns(text);
  });
}

const PERCENT = 0x25;

/**
 * Every run of escapes that is UTF-8 decoded, the others kept, in one pass without exceptions: the
 * decoded text is built as UTF-16 code units in a buffer kept between calls (decoding is
 * synchronous; allocating one per call cost more than the decoding).
 */
function decodeRuns(text: string): string {
  let at = text.indexOf('%');
  if (at === -1) return text;
  if (units.length < text.length) {
    units = new Uint16Array(text.length);
    bytes = Buffer.from(units.buffer);
  }
  let length = 0;
  let copied = 0; // the text before this index is in the buffer
  while (at !== -1) {
    length = append(text, copied, at, length);
    const decoded = decodeRun(text, at, length);
    if (decoded > 0) {
      length = decoded;
      copied = runEnd;
    } else {
      copied = at; // kept as it is: a stray "%", or a run that is not UTF-8
    }
    at = text.indexOf('%', Math.max(runEnd, at + 1));
  }
  length = append(text, copied, text.length, length);
  return bytes.toString('utf16le', 0, length * 2);
}

let units = new Uint16Array(1024);
let bytes = Buffer.from(units.buffer);

/** Appends text[from, to) as it is; returns the new length. */
function append(text: string, from: number, to: number, length: number): number {
  if (to - from > 16) return length + bytes.write(text.slice(from, to), length * 2, 'utf16le') / 2;
  let end = length;
  for (let at = from; at < to; at++) units[end++] = text.charCodeAt(at);
  return end;
}

/** Where the last run read by decodeRun ended. */
let runEnd = 0;

/**
 * Decodes the run of `%XX` escapes that starts at `start` into the buffer from `length` on, and
 * returns the new length; or 0 when it is not UTF-8 (a stray continuation byte, a sequence cut
 * short, an overlong form, a surrogate, past U+10FFFF: what decodeURIComponent refuses) or no
 * escape starts there. Either way `runEnd` is where the run ends.
 */
function decodeRun(text: string, start: number, length: number): number {
  let at = start;
  let end = length;
  let valid = true;
  let more = 0; // continuation bytes still to come
  let code = 0;
  let least = 0;
  for (let byte = byteAt(text, at); byte >= 0; byte = byteAt(text, at)) {
    at += 3;
    if (!valid) continue; // read to the end of the run, which is kept whole
    if (more > 0) {
      valid = (byte & 0xc0) === 0x80;
      code = (code << 6) | (byte & 0x3f);
      if (--more > 0 || !valid) continue;
      valid = code >= least && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff);
      if (!valid) continue;
    } else if (byte < 0x80) {
      code = byte;
    } else {
      more = byte >= 0xf0 ? 3 : byte >= 0xe0 ? 2 : 1;
      least = more === 1 ? 0x80 : more === 2 ? 0x800 : 0x10000;
      code = byte & (0x3f >> more);
      valid = byte >= 0xc2 && byte <= 0xf4;
      continue;
    }
    if (code > 0xffff) {
      units[end++] = 0xd7c0 + (code >> 10);
      units[end++] = 0xdc00 | (code & 0x3ff);
    } else {
      units[end++] = code;
    }
  }
  runEnd = at;
  return valid && more === 0 && at > start ? end : 0;
}

/** The byte of the escape at `at` (`%XX`), or -1 if none is there. */
function byteAt(text: string, at: number): number {
  if (text.charCodeAt(at) !== PERCENT) return -1;
  const high = hexDigit(text.charCodeAt(at + 1));
  const low = hexDigit(text.charCodeAt(at + 2));
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
}
