/** The CallbackSecrets accepted for each appid. `"*"` applies to every appid (local use only). */
export type SecretBook = ReadonlyMap<string, readonly string[]>;

export const ANY_APP = '*';

/** Where the ingest function gets its secrets; may fetch (SSM) and cache. */
export type SecretSource = () => Promise<SecretBook>;

export interface SecretBookOptions {
  /** Serve only these appids; a plain secret then serves exactly these. */
  appIds?: readonly string[];
  /**
   * Let a plain secret, or a `"*"` entry, serve any appid. For `npm start`, the CLI and tests only:
   * ZEGO's signature does not cover the appid, so a deployed stage names the apps it serves.
   */
  allowAnyApp?: boolean;
}

const APPID = /^\d{1,20}$/;

/**
 * Reads a secret specification, the same format in `ZEGO_CALLBACK_SECRET` and in the SSM parameter:
 * - `secret` or `new-secret,old-secret`: for the appids in `appIds` (or any, where allowed);
 * - `{"111111": "secret", "222222": ["new", "old"]}`: per appid; an appid not listed is refused.
 *
 * Errors never quote the value, nor a key of the book: either may be a secret typed in the wrong place.
 */
export function parseSecretBook(
  spec: string,
  { appIds, allowAnyApp = false }: SecretBookOptions = {},
): SecretBook {
  const text = spec.trim();
  const book = text.startsWith('{')
    ? parsePerAppBook(text)
    : new Map([[ANY_APP, secretList(text, 'the secret')]]);
  if (book.has(ANY_APP) && !allowAnyApp && !appIds?.length) {
    throw new Error(
      'a plain secret (or a "*" entry) would serve any appid: name the appids this stage serves ' +
        '(stage parameter appIds, variable ZEGO_APP_IDS), or write a per-appid JSON book',
    );
  }
  if (!appIds?.length) return book;
  const restricted = new Map<string, readonly string[]>();
  for (const appid of appIds) {
    const secrets = book.get(appid) ?? book.get(ANY_APP);
    if (!secrets)
      throw new Error(`appid ${appid} is listed in the appids to serve, but the book has no secret for it`);
    restricted.set(appid, secrets);
  }
  return restricted;
}

function parsePerAppBook(text: string): Map<string, readonly string[]> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('the secret specification starts with "{" but is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    // Stryker disable next-line StringLiteral: unreachable: text starting with "{" parses to an object or throws
    throw new Error('the per-appid secret book must be a JSON object of appid: secret(s)');
  }
  const book = new Map<string, readonly string[]>();
  Object.entries(json).forEach(([key, value], index) => {
    const entry = `entry ${index + 1} of the per-appid secret book`;
    if (key !== ANY_APP && !APPID.test(key))
      throw new Error(`${entry} has a key that is not an appid (digits) or "*"`);
    // Stryker disable next-line ConditionalExpression: canonical("*") is "*"
    const appid = key === ANY_APP ? key : canonical(key);
    if (typeof value === 'string') book.set(appid, secretList(value, entry));
    else if (Array.isArray(value) && value.every((item) => typeof item === 'string'))
      book.set(appid, secretList(value.join(','), entry));
    else throw new Error(`${entry} must hold a secret or a list of secrets (strings)`);
  });
  if (book.size === 0) throw new Error('the per-appid secret book is empty');
  return book;
}

/** `new,old` (or one secret): the secrets accepted, at least one. */
function secretList(value: string, what: string): string[] {
  const secrets = value
    .split(',')
    .map((secret) => secret.trim())
    .filter(Boolean);
  if (secrets.length === 0) throw new Error(`${what} holds no secret`);
  return secrets;
}

export function secretsFor(book: SecretBook, appid: string): readonly string[] {
  return book.get(appid) ?? book.get(ANY_APP) ?? [];
}

export function staticSecretSource(book: SecretBook): SecretSource {
  return async () => book;
}

/** `ZEGO_APP_IDS` / the `appIds` stage parameter: appids separated by commas or spaces. */
export function parseAppIds(text: string): string[] {
  // Stryker disable next-line Regex: the empty ids a single separator leaves are filtered out
  const ids = text.split(/[\s,]+/).filter(Boolean);
  const bad = ids.findIndex((id) => !APPID.test(id));
  if (bad !== -1) throw new Error(`appid number ${bad + 1} in the list is not digits`);
  return ids.map(canonical);
}

/** Appids as the callback schema normalises them: no leading zeros. */
function canonical(appid: string): string {
  return appid.replace(/^0+(?=\d)/, '');
}
