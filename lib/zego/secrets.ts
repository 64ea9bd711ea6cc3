import * as z from 'zod';

/** The CallbackSecrets accepted for each appid. `"*"` applies to every appid. */
export type SecretBook = ReadonlyMap<string, readonly string[]>;

export const ANY_APP = '*';

/** Where the ingest function gets its secrets; may fetch (SSM) and cache. */
export type SecretSource = () => Promise<SecretBook>;

const secretList = z.union([z.string(), z.array(z.string())]).transform((value, ctx) => {
  const secrets = (Array.isArray(value) ? value : value.split(',')).map((s) => s.trim()).filter(Boolean);
  if (secrets.length === 0) ctx.addIssue({ code: 'custom', message: 'no secret given' });
  return secrets;
});

const perAppBook = z.record(
  z.string().regex(/^(\d+|\*)$/, 'keys must be appids (digits) or "*"'),
  secretList,
);

/**
 * Reads a secret specification, the same format in `ZEGO_CALLBACK_SECRET` and in the SSM parameter:
 * - `secret` or `new-secret,old-secret`: used for every appid;
 * - `{"111111": "secret", "222222": ["new", "old"]}`: per appid; an appid not listed is refused.
 *
 * Errors never quote the value: it is a secret.
 */
export function parseSecretBook(spec: string): SecretBook {
  const text = spec.trim();
  if (text.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error('the secret specification starts with "{" but is not valid JSON');
    }
    const parsed = perAppBook.safeParse(json);
    if (!parsed.success) {
      const where = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
      throw new Error(`the per-appid secret specification is invalid at: ${where}`);
    }
    return new Map(Object.entries(parsed.data));
  }
  const secrets = secretList.safeParse(text);
  if (!secrets.success) throw new Error('the secret specification holds no secret');
  return new Map([[ANY_APP, secrets.data]]);
}

export function secretsFor(book: SecretBook, appid: string): readonly string[] {
  return book.get(appid) ?? book.get(ANY_APP) ?? [];
}

export function staticSecretSource(book: SecretBook): SecretSource {
  return async () => book;
}
