import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseArgsProblem } from './command-line';
import { LOCAL_PORTS } from './defaults';

/** A mistake in how `npm start` was called: one sentence, exit code 2. */
export class StartUsageError extends Error {
  override readonly name = 'StartUsageError';
}

export interface StartOptions {
  port: number;
  sqsPort: number;
  dynamodbPort: number;
  /** The fake of ZEGO's server API. */
  zegoApiPort: number;
  /** Absolute. */
  dataDir?: string;
  jsonLogs: boolean;
  help: boolean;
}

const OPTIONS = {
  port: { type: 'string' },
  'sqs-port': { type: 'string' },
  'dynamodb-port': { type: 'string' },
  'zego-api-port': { type: 'string' },
  data: { type: 'string' },
  'json-logs': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type ValueOption = 'port' | 'sqs-port' | 'dynamodb-port' | 'zego-api-port' | 'data';
const VALUE_OPTIONS: ValueOption[] = ['port', 'sqs-port', 'dynamodb-port', 'zego-api-port', 'data'];
const EXAMPLES: Record<ValueOption, string> = {
  port: '3100',
  'sqs-port': '9325',
  'dynamodb-port': '8001',
  'zego-api-port': '3002',
  data: '.local/data',
};

/**
 * `npm start`'s options, in this order: its own arguments (`npm start -- --port 3100`); what npm
 * made of options written before any `--` (`npm start --port 3100` sets npm_config_port=true and
 * passes "3100" alone; `npm start --port=3100` sets npm_config_port=3100); the environment (PORT,
 * SQS_PORT, DYNAMODB_PORT, ZEGO_API_PORT); the defaults. A relative --data is taken from where npm was run.
 */
export function startOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): StartOptions {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  // `--port -1`: parseArgs would take "-1" for an option; joined, the port check answers instead.
  const args = argv.flatMap((arg, i) =>
    /^-\d/.test(arg) && VALUE_OPTIONS.some((name) => argv[i - 1] === `--${name}`)
      ? []
      : [
          VALUE_OPTIONS.some((name) => arg === `--${name}`) && /^-\d/.test(argv[i + 1] ?? '')
            ? `${arg}=${argv[i + 1]}`
            : arg,
        ],
  );
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new StartUsageError(parseArgsProblem(error as Error));
  }
  const { positionals } = parsed;
  const values: Partial<Record<ValueOption, string>> & { 'json-logs'?: boolean; help?: boolean } = {
    ...parsed.values,
  };
  const fromNpm = (name: string) => env[`npm_config_${name.replaceAll('-', '_')}`];

  // Options npm took for its own configuration, their values passed on without names.
  const orphaned = VALUE_OPTIONS.filter((name) => values[name] === undefined && fromNpm(name) === 'true');
  const [only] = orphaned;
  if (only && orphaned.length === 1 && positionals.length === 1) {
    values[only] = positionals[0];
  } else if (orphaned.length > 1 && positionals.length > 0) {
    throw new StartUsageError(
      `npm kept ${orphaned.map((name) => `--${name}`).join(' and ')} for itself and passed their values without names, so which is which is unknown; put the options after \`--\`: \`npm start -- ${orphaned.map((name) => `--${name} ${EXAMPLES[name]}`).join(' ')}\``,
    );
  } else if (only && positionals.length === 0) {
    throw new StartUsageError(`--${only} needs a value, e.g. \`npm start -- --${only} ${EXAMPLES[only]}\``);
  } else if (positionals.length > 0) {
    throw new StartUsageError(
      `npm start takes options only, not "${positionals[0]}"; e.g. \`npm start -- --port 3100\``,
    );
  }
  for (const name of VALUE_OPTIONS) {
    const npmValue = fromNpm(name);
    if (values[name] === undefined && npmValue && npmValue !== 'true') values[name] = npmValue;
  }
  const jsonLogs = values['json-logs'] ?? ['true', '1'].includes(fromNpm('json-logs') ?? '');

  return {
    port: port('--port', values.port, 'PORT', env.PORT, LOCAL_PORTS.http),
    sqsPort: port('--sqs-port', values['sqs-port'], 'SQS_PORT', env.SQS_PORT, LOCAL_PORTS.sqs),
    dynamodbPort: port(
      '--dynamodb-port',
      values['dynamodb-port'],
      'DYNAMODB_PORT',
      env.DYNAMODB_PORT,
      LOCAL_PORTS.dynamodb,
    ),
    zegoApiPort: port(
      '--zego-api-port',
      values['zego-api-port'],
      'ZEGO_API_PORT',
      env.ZEGO_API_PORT,
      LOCAL_PORTS.zegoApi,
    ),
    dataDir: values.data === undefined ? undefined : resolve(env.INIT_CWD ?? process.cwd(), values.data),
    jsonLogs,
    help: values.help ?? false,
  };
}

function port(
  flag: string,
  value: string | undefined,
  variable: string,
  fromEnv: string | undefined,
  fallback: number,
) {
  const [name, text] =
    value !== undefined ? [flag, value] : fromEnv ? [variable, fromEnv] : [flag, String(fallback)];
  const number = Number(text);
  if (!/^\d+$/.test(text) || number > 65_535) {
    throw new StartUsageError(
      `${name} must be a port number from 0 to 65535 (0 picks a free one), not "${text}"`,
    );
  }
  return number;
}
