/**
 * Percent-decoding, once, in one pass and without exceptions. decodeURIComponent throws on a stray
 * "%" or on escapes that are not UTF-8, and each throw costs about as much as decoding a whole
 * genuine callback (a hostile body can hold thousands); it also copies every character one by one,
 * where this copies the text between escapes in one go. Escapes are read as UTF-8; `+` stays a plus.
 */

/**
 * `text` with each run of `%XX` escapes decoded as UTF-8. A `%` that starts no escape, and a run
 * that is not UTF-8, are kept as they are, so a literal `%` survives. The rule for a value that may
 * or may not have been percent-encoded: a callback's JSON string values, a task id's decoded form.
 */
export function percentDecoded(text: string): string {
  return decode(text, false) as string;
}

/**
 * decodeURIComponent's result, or undefined where it would throw (a `%` that starts no escape,
 * escapes that are not UTF-8). The rule for text that must be percent-encoded: a form, a
 * percent-encoded JSON body.
 */
export function percentDecodedStrictly(text: string): string | undefined {
  return decode(text, true);
}

const PERCENT = 0x25;

function decode(text: string, strict: boolean): string | undefined {
  let at = text.indexOf('%');
  if (at === -1) return text;
  const out = new Output(text.length);
  let copied = 0; // the text before this index is in `out`
  while (at !== -1) {
    out.text(text, copied, at);
    copied = at;
    const end = runEnd(text, at);
    if (end === at || !out.utf8(text, at, end)) {
      // A stray "%", or a run that is not UTF-8: kept as it is.
      if (strict) return undefined;
      at = text.indexOf('%', Math.max(end, at + 1));
      continue;
    }
    copied = end;
    at = text.indexOf('%', end);
  }
  out.text(text, copied, text.length);
  return out.toString();
}

/** Where the run of `%XX` escapes that starts at `at` ends (`at` itself if none starts there). */
function runEnd(text: string, at: number): number {
  let end = at;
  while (text.charCodeAt(end) === PERCENT && byteAt(text, end) >= 0) end += 3;
  return end;
}

/** The byte of the escape at `at` (`%XX`), or -1 if it is not one. */
function byteAt(text: string, at: number): number {
  const high = hexDigit(text.charCodeAt(at + 1));
  const low = hexDigit(text.charCodeAt(at + 2));
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
}

/**
 * Text as UTF-16 code units in one buffer, read back as a string once at the end. The buffer is
 * kept between calls (decoding is synchronous): allocating one per call cost more than decoding.
 */
class Output {
  private static units = new Uint16Array(1024);
  private static bytes = Buffer.from(Output.units.buffer);
  private readonly units: Uint16Array;
  private readonly bytes: Buffer;
  private length = 0;

  /** Decoding only shortens text: `capacity` code units always suffice. */
  constructor(capacity: number) {
    if (Output.units.length < capacity) {
      Output.units = new Uint16Array(capacity);
      Output.bytes = Buffer.from(Output.units.buffer);
    }
    this.units = Output.units;
    this.bytes = Output.bytes;
  }

  /** Appends text[from, to) as it is. */
  text(text: string, from: number, to: number): void {
    if (to - from > 16) {
      this.length += this.bytes.write(text.slice(from, to), this.length * 2, 'utf16le') / 2;
    } else {
      for (let at = from; at < to; at++) this.units[this.length++] = text.charCodeAt(at);
    }
  }

  /**
   * Appends the escapes from `start` to `end` read as UTF-8, or appends nothing and answers false
   * if they are not UTF-8 (a stray continuation byte, a sequence cut short, an overlong form, a
   * surrogate, past U+10FFFF): what decodeURIComponent refuses.
   */
  utf8(text: string, start: number, end: number): boolean {
    const before = this.length;
    for (let at = start; at < end; ) {
      const lead = byteAt(text, at);
      at += 3;
      if (lead < 0x80) {
        this.units[this.length++] = lead;
        continue;
      }
      const more = lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : 1;
      let code = lead & (0x3f >> more);
      let ok = lead >= 0xc2 && lead <= 0xf4 && at + 3 * more <= end;
      for (let left = more; ok && left > 0; left--) {
        const next = byteAt(text, at);
        at += 3;
        ok = (next & 0xc0) === 0x80;
        code = (code << 6) | (next & 0x3f);
      }
      // Overlong, a surrogate, or past U+10FFFF.
      ok &&= code >= leastCode(more) && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff);
      if (!ok) {
        this.length = before;
        return false;
      }
      if (code > 0xffff) {
        this.units[this.length++] = 0xd7c0 + (code >> 10);
        this.units[this.length++] = 0xdc00 | (code & 0x3ff);
      } else {
        this.units[this.length++] = code;
      }
    }
    return true;
  }

  toString(): string {
    return this.bytes.toString('utf16le', 0, this.length * 2);
  }
}

/** The least code point a lead byte and `more` continuation bytes may encode; below is overlong. */
function leastCode(more: number): number {
  return more === 1 ? 0x80 : more === 2 ? 0x800 : 0x10000;
}
