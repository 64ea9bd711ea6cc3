import { readFileSync } from 'node:fs';
import { DEFAULT_MAX_CLOCK_SKEW_SECONDS } from '../../lib/config';
import { CallbackError, StaleTimestampError } from '../../lib/errors';
import { printable } from '../../lib/text/printable';
import { parseCallback } from '../../lib/zego/callback-schema';
import { decodeBody } from '../../lib/zego/decode-body';
import { parseSecretBook } from '../../lib/zego/secrets';
import { signCallback } from '../../lib/zego/signature';
import { verifyCallback } from '../../lib/zego/verify-callback';
import { CommandFailedError, integer, parse, UsageError } from '../args';
import { signingSecret } from '../target';

export const SIGN_HELP = `Usage: zego sign --timestamp T --nonce N [--secret S]

Prints ZEGO's signature for these values: SHA-1 over the secret, timestamp and nonce sorted as
strings.

  --timestamp T      the callback's timestamp (Unix seconds)
  --nonce N          the callback's nonce
  --secret S         default: ZEGO_CALLBACK_SECRET, else the running \`npm start\`'s secret,
                     else the local development secret`;

export const SIGN_OPTIONS = {
  timestamp: { type: 'string' },
  nonce: { type: 'string' },
  secret: { type: 'string' },
} as const;

export async function sign(args: string[]): Promise<void> {
  const { values } = parse(args, SIGN_OPTIONS);
  if (values.help) return void console.log(SIGN_HELP);
  if (!values.timestamp || !values.nonce) throw new UsageError('--timestamp and --nonce are required');
  const { secret } = signingSecret(values.secret);
  console.log(signCallback(secret, { timestamp: values.timestamp, nonce: values.nonce }));
}

export const VERIFY_HELP = `Usage: zego verify FILE [--secret S] [--max-skew SECONDS] [--base64]
       ... | zego verify - [options]

Checks a captured callback body (from FILE, or from a pipe with -) as the endpoint would: decodes
it, validates the fields, verifies the signature and checks the timestamp against this machine's
clock. Prints "valid" and the callback's identity, or the reason it would be refused (exit code 1).

  --secret S         the secret, or several as new,old, or a per-appid JSON book (default:
                     ZEGO_CALLBACK_SECRET, else the running \`npm start\`'s secret, else the local
                     development secret)
  --max-skew S       refuse a timestamp more than S seconds from now, as the endpoint does
                     (default ${DEFAULT_MAX_CLOCK_SKEW_SECONDS}, its default; 0 turns the check off, e.g. for an old capture)
  --base64           the body is base64 (as API Gateway logs it)`;

export const VERIFY_OPTIONS = {
  secret: { type: 'string' },
  'max-skew': { type: 'string' },
  base64: { type: 'boolean', default: false },
} as const;

export async function verify(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, VERIFY_OPTIONS, true);
  if (values.help) return void console.log(VERIFY_HELP);
  if (positionals.length > 1) throw new UsageError('give one file, or - to read a pipe');
  const file = positionals[0];
  const fromStdin = file === undefined || file === '-';
  // Reading a terminal would wait, silently, for a body typed by hand.
  if (fromStdin && process.stdin.isTTY)
    throw new UsageError(
      'give the callback body as a FILE, or pipe it in and give -, e.g. `zego verify body.json` or `pbpaste | zego verify -`',
    );
  const maxClockSkewSeconds = integer(values['max-skew'], 'max-skew', DEFAULT_MAX_CLOCK_SKEW_SECONDS);
  let body: string;
  try {
    body = readFileSync(fromStdin ? 0 : file, 'utf8');
  } catch (error) {
    throw new CommandFailedError(
      `cannot read ${fromStdin ? 'standard input' : file}: ${(error as Error).message}`,
    );
  }
  const { secret } = signingSecret(values.secret);
  try {
    const parsed = parseCallback(decodeBody({ body, isBase64Encoded: values.base64 }));
    verifyCallback(parsed, {
      secrets: parseSecretBook(secret, { allowAnyApp: true }),
      maxClockSkewSeconds,
      now: Date.now,
    });
    const { appid, event, seq } = parsed.callback;
    const task =
      'task_id' in parsed.callback ? ` task_id=${printable(String(parsed.callback.task_id), 200)}` : '';
    console.log(`valid: appid=${appid} event=${event} seq=${seq}${task}`);
  } catch (error) {
    if (error instanceof CallbackError) {
      const hint =
        error instanceof StaleTimestampError
          ? ' To check only the signature of an old capture: --max-skew 0.'
          : '';
      throw new CommandFailedError(`invalid (${error.status} ${error.reason}): ${error.message}.${hint}`);
    }
    throw error;
  }
}
