import * as z from 'zod';
import { parseAppIds, parseSecretBook, type SecretBook } from './zego/secrets';

/** Unset and empty are the same: serverless.yml writes '' for a variable a stage leaves out. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const seconds = (fallback: number) => optional(z.coerce.number().int().min(0)).default(fallback);

const appIds = z.string().transform((text, ctx): string[] => {
  try {
    return parseAppIds(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

/** How far a callback's timestamp may be from the endpoint's clock, by default (`zego verify` too). */
export const DEFAULT_MAX_CLOCK_SKEW_SECONDS = 300;

const ingestSchema = z
  .object({
    QUEUE_URL: z.url(),
    /** One use per signature: the table binding each (appid, timestamp, nonce) to one callback. */
    SIGNATURES_TABLE: z.string().min(3),
    /** Local and tests: the secret(s) themselves; a plain secret may serve any appid. */
    ZEGO_CALLBACK_SECRET: optional(z.string()),
    /** Deployed: name of an SSM SecureString parameter holding the same format. */
    ZEGO_CALLBACK_SECRET_PARAM: optional(
      z.string().startsWith('/', 'must be a full parameter name starting with "/"'),
    ),
    /** The appids this stage serves; a plain secret in SSM needs them. */
    ZEGO_APP_IDS: optional(appIds),
    ZEGO_SECRET_CACHE_SECONDS: seconds(300),
    ZEGO_MAX_CLOCK_SKEW_SECONDS: seconds(DEFAULT_MAX_CLOCK_SKEW_SECONDS),
    ENQUEUE_TIMEOUT_MS: optional(z.coerce.number().int().positive()).default(3_000),
  })
  .transform((env, ctx) => {
    const secret = secretSetting(env);
    if (typeof secret === 'string') {
      ctx.addIssue({ code: 'custom', path: ['ZEGO_CALLBACK_SECRET'], message: secret });
      return z.NEVER;
    }
    return { ...env, secret };
  });

/** Where the secrets come from; an inline book is parsed now, so a bad one stops the cold start. */
type SecretSetting = { inline: SecretBook } | { parameter: string };

function secretSetting(env: {
  ZEGO_CALLBACK_SECRET?: string | undefined;
  ZEGO_CALLBACK_SECRET_PARAM?: string | undefined;
  ZEGO_APP_IDS?: string[] | undefined;
}): SecretSetting | string {
  const { ZEGO_CALLBACK_SECRET: inline, ZEGO_CALLBACK_SECRET_PARAM: parameter, ZEGO_APP_IDS } = env;
  if ((inline === undefined) === (parameter === undefined)) {
    return 'set exactly one of ZEGO_CALLBACK_SECRET and ZEGO_CALLBACK_SECRET_PARAM';
  }
  if (parameter !== undefined) return { parameter };
  try {
    return { inline: parseSecretBook(inline ?? '', { appIds: ZEGO_APP_IDS, allowAnyApp: true }) };
  } catch (error) {
    return (error as Error).message;
  }
}

export type IngestConfig = z.output<typeof ingestSchema>;

export function loadIngestConfig(env: NodeJS.ProcessEnv = process.env): IngestConfig {
  return load(ingestSchema, env);
}

const days = (fallback: number) => optional(z.coerce.number().min(0)).default(fallback);

const consumerSchema = z.object({
  TASKS_TABLE: z.string().min(3),
  IDEMPOTENCY_TABLE: z.string().min(3),
  /** Where a message that can never be processed goes at once. */
  DEAD_LETTER_QUEUE_URL: z.url(),
  /** How long a processed callback is remembered, so a replay changes nothing. */
  IDEMPOTENCY_DAYS: days(7).refine((value) => value > 0, 'must be more than 0'),
  /** How long a stopped task stays in the table; 0 keeps it forever. */
  TASK_RETENTION_DAYS: days(90),
  /** The callback queue's maxReceiveCount: a record failing on that delivery goes to the DLQ. */
  MAX_RECEIVE_COUNT: optional(z.coerce.number().int().min(1)).default(5),
});

export type ConsumerConfig = z.output<typeof consumerSchema>;

export function loadConsumerConfig(env: NodeJS.ProcessEnv = process.env): ConsumerConfig {
  return load(consumerSchema, env);
}

/** Fails fast, naming each bad variable and never echoing a value (some are secrets). */
function load<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.output<T> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw new Error(`Invalid configuration: ${problems.join('; ')}`);
}

const orphansSchema = z.object({
  TASKS_TABLE: z.string().min(3),
  /** A task running this long with no stop is reported as orphaned. */
  ORPHAN_AFTER_MINUTES: optional(z.coerce.number().int().positive()).default(240),
});

export type OrphansConfig = z.output<typeof orphansSchema>;

export function loadOrphansConfig(env: NodeJS.ProcessEnv = process.env): OrphansConfig {
  return load(orphansSchema, env);
}
