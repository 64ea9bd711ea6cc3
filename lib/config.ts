import { parseAppIds, parseSecretBook, type SecretBook } from './zego/secrets';
import * as z from './zod';

/** Unset and empty are the same: serverless.yml writes '' for a variable a stage leaves out. */
const optional = <T extends z.ZodMiniType>(schema: T) =>
  z.pipe(
    z.transform((value: unknown) => (value === '' ? undefined : value)),
    z.optional(schema),
  );

/** Whole numbers from a variable's text: at least `min`, or above 0. */
const wholeNumber = (min: number) => z.coerce.number().check(z.int(), z.minimum(min));
const positiveWholeNumber = () => z.coerce.number().check(z.int(), z.positive());

const seconds = (fallback: number) => z._default(optional(wholeNumber(0)), fallback);

const milliseconds = (fallback: number) => z._default(optional(positiveWholeNumber()), fallback);

const parameterName = () =>
  z.string().check(z.startsWith('/', 'must be a full parameter name starting with "/"'));

const appIds = z.pipe(
  z.string(),
  z.transform((text, ctx): string[] => {
    try {
      return parseAppIds(text);
    } catch (error) {
      ctx.issues.push({ code: 'custom', message: (error as Error).message, input: text });
      return z.NEVER;
    }
  }),
);

/** Reports a problem the fields' own schemas cannot see, at the variable to fix. */
function refuse(ctx: z.core.ParsePayload, variable: string, message: string): never {
  ctx.issues.push({ code: 'custom', path: [variable], message, input: ctx.value });
  return z.NEVER;
}

/** How far a callback's timestamp may be from the endpoint's clock, by default (`zego verify` too). */
export const DEFAULT_MAX_CLOCK_SKEW_SECONDS = 300;

/** A table name: DynamoDB's shortest is 3 characters. */
const tableName = () => z.string().check(z.minLength(3));

/**
 * The bus run events are published to (lib/events): a bus name, or a bus's ARN (another account's
 * or region's). Unset or empty: publishing is off.
 */
const eventBus = () =>
  optional(
    z
      .string()
      .check(
        z.regex(
          /^(?:[\w.\-/]{1,256}|arn:aws[\w-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[\w.\-/]{1,256})$/,
          'must be an event bus name (letters, digits, "._-/") or an event bus ARN',
        ),
      ),
  );

/** The stage (serverless.yml: `${sls:stage}`), a dimension of every metric. */
const stage = () =>
  z.string().check(z.regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a stage name: letters, digits and "-"'));

// Each schema is built by the function that loads it, once per cold start: a function builds only
// its own configuration's.
const ingestSchema = () =>
  z.pipe(
    z.object({
      STAGE: stage(),
      QUEUE_URL: z.url(),
      /** Where a body refused for reusing another body's signature is kept for the operator. */
      REFUSED_QUEUE_URL: z.url(),
      /** One use per signature: the table binding each (appid, timestamp, nonce) to one callback. */
      SIGNATURES_TABLE: tableName(),
      /** Local and tests: the secret(s) themselves; a plain secret may serve any appid. */
      ZEGO_CALLBACK_SECRET: optional(z.string()),
      /** Deployed: name of an SSM SecureString parameter holding the same format. */
      ZEGO_CALLBACK_SECRET_PARAM: optional(parameterName()),
      /** The appids this stage serves; a plain secret in SSM needs them. */
      ZEGO_APP_IDS: optional(appIds),
      ZEGO_SECRET_CACHE_SECONDS: seconds(300),
      ZEGO_MAX_CLOCK_SKEW_SECONDS: seconds(DEFAULT_MAX_CLOCK_SKEW_SECONDS),
      ENQUEUE_TIMEOUT_MS: milliseconds(3_000),
    }),
    z.transform((env, ctx) => {
      const secret = secretSetting(env, 'ZEGO_CALLBACK_SECRET', 'ZEGO_CALLBACK_SECRET_PARAM');
      if (secret === undefined || typeof secret === 'string') {
        const message = secret ?? 'set exactly one of ZEGO_CALLBACK_SECRET and ZEGO_CALLBACK_SECRET_PARAM';
        return refuse(ctx, 'ZEGO_CALLBACK_SECRET', message);
      }
      return { ...env, secret };
    }),
  );

/** Where the secrets come from; an inline book is parsed now, so a bad one stops the cold start. */
type SecretSetting = { inline: SecretBook } | { parameter: string };

/**
 * One of an inline secret book (local use and tests: a plain secret may serve any appid) and an SSM
 * parameter name. undefined: neither is set; a string: what is wrong (never quoting the value).
 */
function secretSetting<Inline extends string, Parameter extends string>(
  env: Partial<Record<Inline | Parameter, string>> & { ZEGO_APP_IDS?: string[] | undefined },
  inlineName: Inline,
  parameterName: Parameter,
): SecretSetting | string | undefined {
  const inline: string | undefined = env[inlineName];
  const parameter: string | undefined = env[parameterName];
  if (inline === undefined && parameter === undefined) return undefined;
  if (inline !== undefined && parameter !== undefined)
    return `set only one of ${inlineName} and ${parameterName}`;
  if (parameter !== undefined) return { parameter };
  try {
    // Stryker disable next-line StringLiteral: inline is set here (neither-set returned above)
    return { inline: parseSecretBook(inline ?? '', { appIds: env.ZEGO_APP_IDS, allowAnyApp: true }) };
  } catch (error) {
    return (error as Error).message;
  }
}

export type IngestConfig = z.output<ReturnType<typeof ingestSchema>>;

export function loadIngestConfig(env: NodeJS.ProcessEnv = process.env): IngestConfig {
  return load(ingestSchema(), env);
}

const days = (fallback: number) => z._default(optional(z.coerce.number().check(z.minimum(0))), fallback);

const consumerSchema = () =>
  z.object({
    STAGE: stage(),
    TASKS_TABLE: tableName(),
    IDEMPOTENCY_TABLE: tableName(),
    /** Where a message that can never be processed goes at once. */
    DEAD_LETTER_QUEUE_URL: z.url(),
    /** How long a processed callback is remembered, so a replay changes nothing. */
    IDEMPOTENCY_DAYS: days(7).check(z.refine((value) => value > 0, 'must be more than 0')),
    /** How long a stopped task stays in the table; 0 keeps it forever. */
    TASK_RETENTION_DAYS: days(90),
    /** The callback queue's maxReceiveCount: a record failing on that delivery goes to the DLQ. */
    MAX_RECEIVE_COUNT: z._default(optional(wholeNumber(1)), 5),
    /** The scheduled check first looks at a new run this long after its start (its first lookup). */
    RECONCILE_AFTER_MINUTES: z._default(optional(z.coerce.number().check(z.positive())), 10),
    /** Publishing run events: the bus; empty, off. */
    EVENT_BUS_NAME: eventBus(),
  });

export type ConsumerConfig = z.output<ReturnType<typeof consumerSchema>>;

export function loadConsumerConfig(env: NodeJS.ProcessEnv = process.env): ConsumerConfig {
  return load(consumerSchema(), env);
}

/** Fails fast, naming each bad variable and never echoing a value (some are secrets). */
function load<T extends z.ZodMiniType>(schema: T, env: NodeJS.ProcessEnv): z.output<T> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new Error(`Invalid configuration: ${z.describeIssues(result.error)}`);
}

const orphansSchema = () =>
  z.pipe(
    z.object({
      STAGE: stage(),
      TASKS_TABLE: tableName(),
      /** A task running this long with no stop is reported as orphaned. */
      ORPHAN_AFTER_MINUTES: z._default(optional(positiveWholeNumber()), 240),
      /**
       * Reconciliation is on when one of these two holds the app's ServerSecret (not its
       * CallbackSecret), in the callback secret's format: local and tests, the value itself; deployed,
       * the name of an SSM SecureString parameter. Neither: off, and onMixOrphaned is the only net.
       */
      ZEGO_SERVER_SECRET: optional(z.string()),
      ZEGO_SERVER_SECRET_PARAM: optional(parameterName()),
      /** The appids this stage serves; a plain secret in SSM needs them. */
      ZEGO_APP_IDS: optional(appIds),
      ZEGO_SECRET_CACHE_SECONDS: seconds(300),
      /** ZEGO's server API: the global host, or a regional one (`https://rtc-api-sgp.zego.im`). */
      ZEGO_SERVER_API_ENDPOINT: z._default(
        optional(z.url({ protocol: /^https?$/ })),
        'https://rtc-api.zego.im',
      ),
      /** One GetMixTaskInfo call, connection to body, at most this long. */
      ZEGO_SERVER_API_TIMEOUT_MS: z._default(optional(positiveWholeNumber().check(z.maximum(20_000))), 3_000),
      /**
       * A task running this long with no stop is looked up. ZEGO ends a mix whose inputs are all gone
       * after 90 s; the grace also covers a mix_stop still in ZEGO's retries (~62 s) or in the queue.
       */
      // Fractions allowed: npm start looks up after seconds, to show it happen.
      RECONCILE_AFTER_MINUTES: z._default(optional(z.coerce.number().check(z.positive())), 10),
      /** A task ZEGO still runs is asked about again this long after (fractions allowed, as above). */
      RECONCILE_EVERY_MINUTES: z._default(optional(z.coerce.number().check(z.positive())), 30),
      /**
       * GetMixTaskInfo calls started per second at most, all apps together. ZEGO allows 100 per
       * second per app; the rest is left to the app's own server.
       */
      RECONCILE_LOOKUPS_PER_SECOND: z._default(optional(positiveWholeNumber().check(z.maximum(100))), 40),
      /** The callback queue: reconciliations join their task's callbacks there. Needed when on. */
      QUEUE_URL: optional(z.url()),
      ENQUEUE_TIMEOUT_MS: milliseconds(3_000),
      /** Publishing run events (the orphan reports' here): the bus; empty, off. */
      EVENT_BUS_NAME: eventBus(),
    }),
    z.transform((env, ctx) => {
      const secret = secretSetting(env, 'ZEGO_SERVER_SECRET', 'ZEGO_SERVER_SECRET_PARAM');
      if (typeof secret === 'string') return refuse(ctx, 'ZEGO_SERVER_SECRET', secret);
      if (secret === undefined) return { ...env, reconcile: undefined };
      if (env.QUEUE_URL === undefined)
        return refuse(ctx, 'QUEUE_URL', 'is required when reconciliation is on');
      const reconcile: ReconcileSettings = {
        secret,
        queueUrl: env.QUEUE_URL,
        endpoint: env.ZEGO_SERVER_API_ENDPOINT,
        timeoutMs: env.ZEGO_SERVER_API_TIMEOUT_MS,
        afterSeconds: env.RECONCILE_AFTER_MINUTES * 60,
        everySeconds: env.RECONCILE_EVERY_MINUTES * 60,
        lookupsPerSecond: env.RECONCILE_LOOKUPS_PER_SECOND,
        enqueueTimeoutMs: env.ENQUEUE_TIMEOUT_MS,
      };
      return { ...env, reconcile };
    }),
  );

/** Reconciliation's settings, present only when it is on. */
export interface ReconcileSettings {
  /** Where the ServerSecret(s) come from. */
  secret: SecretSetting;
  queueUrl: string;
  endpoint: string;
  timeoutMs: number;
  /** A running task is first asked about this long after its start, then every `everySeconds`. */
  afterSeconds: number;
  everySeconds: number;
  lookupsPerSecond: number;
  enqueueTimeoutMs: number;
}

export type OrphansConfig = z.output<ReturnType<typeof orphansSchema>>;

export function loadOrphansConfig(env: NodeJS.ProcessEnv = process.env): OrphansConfig {
  return load(orphansSchema(), env);
}
