/**
 * `text` with its percent-escapes decoded once: each run of `%XX` escapes is read as UTF-8. A `%`
 * that starts no escape, and a run that is not UTF-8, are kept as they are, so a literal `%` in an
 * id survives. `+` stays a plus.
 *
 * lib/zego/decode-body.ts decodes a callback's other string values; the lead may unify the two
 * (a `percentDecodedForm` is being added there).
 */
export function percentDecoded(text: string): string {
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}
