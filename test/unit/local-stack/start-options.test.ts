import { describe, expect, it } from 'vitest';
import { LOCAL_PORTS } from '../../../tools/local-stack/defaults';
import { StartUsageError, startOptions } from '../../../tools/local-stack/start-options';

const defaults = {
  port: LOCAL_PORTS.http,
  sqsPort: LOCAL_PORTS.sqs,
  dynamodbPort: LOCAL_PORTS.dynamodb,
  zegoApiPort: LOCAL_PORTS.zegoApi,
  dataDir: undefined,
  jsonLogs: false,
  help: false,
};

/** What a message would be, for each way the options can be wrong. */
const problem = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  try {
    startOptions(argv, env);
  } catch (error) {
    if (error instanceof StartUsageError) return error.message;
    throw error;
  }
  throw new Error('no usage error');
};

describe("npm start's options", () => {
  it('defaults to the usual ports, no data folder, readable logs', () => {
    expect(startOptions([], {})).toEqual(defaults);
  });

  it('takes them after `--`: npm start -- --port 3100 ...', () => {
    expect(
      startOptions(['--port', '3100', '--sqs-port', '9325', '--dynamodb-port', '8001', '--json-logs'], {}),
    ).toMatchObject({ port: 3100, sqsPort: 9325, dynamodbPort: 8001, jsonLogs: true });
  });

  it.each([
    ['--port', 'port', { port: 3100 }],
    ['--sqs-port', 'sqs_port', { sqsPort: 3100 }],
    ['--dynamodb-port', 'dynamodb_port', { dynamodbPort: 3100 }],
  ])('takes `npm start %s 3100`: npm keeps the option and passes 3100 alone', (_flag, config, expected) => {
    expect(startOptions(['3100'], { [`npm_config_${config}`]: 'true' })).toMatchObject(expected);
  });

  it('takes `npm start --data DIR`, relative to where npm was run', () => {
    expect(
      startOptions(['my-data'], { npm_config_data: 'true', INIT_CWD: '/home/me/project' }),
    ).toMatchObject({
      dataDir: '/home/me/project/my-data',
    });
  });

  it('takes `npm start --port=3100` (npm_config_port=3100) and `npm start --json-logs`', () => {
    expect(startOptions([], { npm_config_port: '3100', npm_config_json_logs: 'true' })).toMatchObject({
      port: 3100,
      jsonLogs: true,
    });
    expect(startOptions([], { npm_config_json_logs: '' }).jsonLogs).toBe(false);
  });

  it('takes the environment below the options, the options below nothing', () => {
    const env = { PORT: '4000', SQS_PORT: '4001', DYNAMODB_PORT: '4002' };
    expect(startOptions([], env)).toMatchObject({ port: 4000, sqsPort: 4001, dynamodbPort: 4002 });
    expect(startOptions(['--port', '5000'], { ...env, npm_config_port: '6000' }).port).toBe(5000);
    expect(startOptions([], { ...env, npm_config_port: '6000' }).port).toBe(6000);
  });

  it('says to use `--` when npm took several options and passed their values unnamed', () => {
    expect(problem(['3100', '9325'], { npm_config_port: 'true', npm_config_sqs_port: 'true' })).toBe(
      'npm kept --port and --sqs-port for itself and passed their values without names, so which is which is unknown; put the options after `--`: `npm start -- --port 3100 --sqs-port 9325`',
    );
  });

  it('says an option npm kept needs a value', () => {
    expect(problem([], { npm_config_port: 'true' })).toBe(
      '--port needs a value, e.g. `npm start -- --port 3100`',
    );
  });

  it('refuses an argument that is no option, with the form that works', () => {
    expect(problem(['3100'])).toBe(
      'npm start takes options only, not "3100"; e.g. `npm start -- --port 3100`',
    );
  });

  it.each([
    [['--port', 'http'], {}, '--port must be a port number from 0 to 65535 (0 picks a free one), not "http"'],
    [['--port', '-1'], {}, '--port must be a port number from 0 to 65535 (0 picks a free one), not "-1"'],
    [
      ['--zego-api-port', '-80'],
      {},
      '--zego-api-port must be a port number from 0 to 65535 (0 picks a free one), not "-80"',
    ],
    [
      ['--sqs-port', '70000'],
      {},
      '--sqs-port must be a port number from 0 to 65535 (0 picks a free one), not "70000"',
    ],
    [[], { PORT: '-1' }, 'PORT must be a port number from 0 to 65535 (0 picks a free one), not "-1"'],
    [['--prot', '3100'], {}, 'unknown option --prot'],
    [['--port'], {}, '--port needs a value'],
  ])('refuses %j %j: %s', (argv, env, message) => {
    expect(problem(argv, env)).toBe(message);
  });
});
