import { readFileSync } from 'node:fs';
import { CallbackError } from '../../lib/errors';
import { parseCallback } from '../../lib/zego/callback-schema';
import { decodeBody } from '../../lib/zego/decode-body';
import { parseSecretBook } from '../../lib/zego/secrets';
import { signCallback } from '../../lib/zego/signature';
import { verifyCallback } from '../../lib/zego/verify-callback';
import { localSecret } from '../../tools/local-stack/defaults';
import { CommandFailedError, integer, parse, UsageError } from '../args';

export const SIGN_HELP = `Usage: zego sign --timestamp T --nonce N [--secret S]

Prints ZEGO's signature for these values: SHA-1 over the secret, timestamp and nonce sorted as
strings. --secret defaults to ZEGO_CALLBACK_SECRET, else the local development secret.`;

export async function sign(args: string[]): Promise<void> {
  const { values } = parse(args, {
    timestamp: { type: 'string' },
    nonce: { type: 'string' },
    secret: { type: 'string' },
  });
  if (values.help) return void console.log(SIGN_HELP);
  if (!values.timestamp || !values.nonce) throw new UsageError('--timestamp and --nonce are required');
  const secret = values.secret ?? localSecret();
  console.log(signCallback(secret, { timestamp: values.timestamp, nonce: values.nonce }));
}

export const VERIFY_HELP = `Usage: zego verify [FILE] [--secret S] [--max-skew SECONDS] [--base64]

Checks a captured callback body (from FILE, or standard input) as the endpoint would: decodes it,
validates the fields and verifies the signature. Prints "valid" and the callback's identity, or the
reason it would be refused (exit code 1).

  --secret S         the secret, or several as new,old, or a per-appid JSON book
                     (default ZEGO_CALLBACK_SECRET, else the local development secret)
  --max-skew S       also refuse a timestamp more than S seconds from now (default 0: off)
  --base64           the body is base64 (as API Gateway logs it)`;

export async function verify(args: string[]): Promise<void> {
  const { values, positionals } = parse(
    args,
    {
      secret: { type: 'string' },
      'max-skew': { type: 'string' },
      base64: { type: 'boolean', default: false },
    },
    true,
  );
  if (values.help) return void console.log(VERIFY_HELP);
  if (positionals.length > 1) throw new UsageError('give one file, or none to read standard input');
  const file = positionals[0];
  let body: string;
  try {
    body = readFileSync(file === undefined || file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new CommandFailedError(`cannot read ${file ?? 'standard input'}: ${(error as Error).message}`);
  }
  const spec = values.secret ?? localSecret();
  try {
    const parsed = parseCallback(decodeBody({ body, isBase64Encoded: values.base64 }));
    verifyCallback(parsed, {
      secrets: parseSecretBook(spec, { allowAnyApp: true }),
      maxClockSkewSeconds: integer(values['max-skew'], 'max-skew', 0),
      now: Date.now,
    });
    const { appid, event, seq } = parsed.callback;
    const task = 'task_id' in parsed.callback ? ` task_id=${parsed.callback.task_id}` : '';
    console.log(`valid: appid=${appid} event=${event} seq=${seq}${task}`);
  } catch (error) {
    if (error instanceof CallbackError)
      throw new CommandFailedError(`invalid (${error.status} ${error.reason}): ${error.message}`);
    throw error;
  }
}
