import { SQSClient } from '@aws-sdk/client-sqs';
import { CommandFailedError } from './args';

/** What to do when the SDK finds no credentials (it says "Could not load credentials from any providers"). */
export const NO_CREDENTIALS =
  'no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or run `aws configure` or `aws sso login`, then run this again';

/** What to do when no region is given or configured (the SDK says "Region is missing"). */
export const NO_REGION =
  "no AWS region: give the stage's region with --region (e.g. --region ap-southeast-1), or set AWS_REGION";

/** Errors AWS answers when it does not take the credentials themselves. */
const REFUSED_CREDENTIALS = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
]);

/** Errors AWS answers when the credentials lack a permission. */
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'AuthorizationError']);

export interface ResolvedRegion {
  region: string;
  /** Where it came from, for the user: `--region`, `AWS_REGION`, ... */
  source: string;
}

/**
 * The region of a deployed stage: --region, else AWS_REGION, else AWS_DEFAULT_REGION (the AWS
 * CLI's; the SDK ignores it), else the profile's configuration as the SDK reads it.
 */
export async function resolveRegion(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ResolvedRegion> {
  if (flag) return { region: flag, source: '--region' };
  for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION'] as const) {
    const value = env[name];
    if (value) return { region: value, source: name };
  }
  // The SDK's own loader: the profile's `region` in ~/.aws/config (AWS_PROFILE, AWS_CONFIG_FILE).
  const client = new SQSClient({});
  try {
    return { region: await client.config.region(), source: 'your AWS profile' };
  } catch {
    throw new CommandFailedError(NO_REGION);
  } finally {
    client.destroy();
  }
}

/**
 * The `region` setting of a deployed stage's SDK clients: resolved on first use, once, and a
 * sentence with the next step when there is none.
 */
export function stageRegion(flag: string | undefined): () => Promise<string> {
  let resolved: Promise<ResolvedRegion> | undefined;
  return async () => {
    resolved ??= resolveRegion(flag);
    return (await resolved).region;
  };
}

/**
 * The sentence, with the next step, for an SDK error about the credentials or the region, or
 * undefined for any other error. Never the SDK's stack trace.
 */
export function awsProblem(error: unknown): string | undefined {
  if (error instanceof CommandFailedError) return error.message;
  const { name, message } = error as Error;
  if (name === 'CredentialsProviderError') return NO_CREDENTIALS;
  if (message === 'Region is missing') return NO_REGION;
  if (REFUSED_CREDENTIALS.has(name))
    return `AWS refused the credentials (${name}): they have expired or are not valid; refresh them (e.g. \`aws sso login\`, or new keys), then run this again`;
  if (DENIED.has(name))
    return `AWS denied a request (${name}): ${message.replace(/\.$/, '')}; give these credentials that permission, or use others`;
  return undefined;
}
