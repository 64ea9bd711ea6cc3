/**
 * Text from a callback on its way to a terminal, a log line or an error body: every character that
 * could move a cursor, clear a screen or reorder text (C0 and C1 controls, DEL, bidirectional
 * overrides and isolates, lone surrogates) is written as a `\u` escape, and the result is cut to
 * `max` characters.
 */
export function printable(text: string, max = 100): string {
  const escaped = text.replace(UNSAFE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}

// Controls, DEL and C1; line/paragraph separators; bidi embeddings, overrides and isolates; BOM;
// and lone surrogates (a surrogate not part of a pair).
const UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
