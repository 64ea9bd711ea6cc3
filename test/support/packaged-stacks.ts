import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

const run = promisify(execFile);

export interface Resource {
  Type: string;
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  // biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON, read by the assertions of test/infra
  Properties: Record<string, any>;
}
export interface Template {
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: unknown; Condition?: string }>;
  Conditions: Record<string, unknown>;
}

export const CUSTOM_SECRET_PARAM = '/custom/zego/secret';
export const SERVER_SECRET_PARAM = '/custom/zego/server-secret';
export const DOMAIN = 'callbacks.example.com';
export const CERTIFICATE =
  'arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-4000-8000-000000000000';

/**
 * Each alarm: its threshold's stage parameter, that parameter's default, and the value the
 * options package sets, so a threshold that ignores its parameter shows.
 */
export const THRESHOLDS: Record<string, [param: string, byDefault: number, option: number]> = {
  DeadLettersAlarm: ['alarmDeadLetters', 0, 3],
  IngestFailuresAlarm: ['alarmIngestFailures', 1, 4],
  UnauthorizedAlarm: ['alarmUnauthorized', 5, 6],
  ForgedCallbacksAlarm: ['alarmForgedCallbacks', 1, 13],
  ProcessingFailuresAlarm: ['alarmProcessingFailures', 5, 7],
  OldestMessageAlarm: ['alarmOldestMessageSeconds', 600, 900],
  OrphanedTasksAlarm: ['alarmOrphanedTasks', 0, 2],
  IngestErrorsAlarm: ['alarmLambdaErrors', 1, 8],
  ConsumerErrorsAlarm: ['alarmLambdaErrors', 1, 8],
  OrphansErrorsAlarm: ['alarmLambdaErrors', 1, 8],
  IngestThrottlesAlarm: ['alarmLambdaThrottles', 1, 9],
  ConsumerThrottlesAlarm: ['alarmLambdaThrottles', 1, 9],
  OrphansThrottlesAlarm: ['alarmLambdaThrottles', 1, 9],
  Api5xxAlarm: ['alarmApi5xx', 1, 11],
  RefusedRequestsAlarm: ['alarmRefusedRequests', 10, 12],
};

/** Every option on (as scripts/lint-stack.sh lints them, with other values), in another region. */
/** Managed policies for the hooks, in the every-option package. */
export const HOOK_POLICY_ARNS = [
  'arn:aws:iam::123456789012:policy/billing-writer',
  'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
];

/** The hooks' settings path in the every-option package (none by default). */
export const HOOK_PARAMETERS_PATH = '/billing/ci-all/hooks';

export const OPTIONS = {
  tracing: 'Active',
  domainName: DOMAIN,
  certificateArn: CERTIFICATE,
  alarmEmail: 'ops@example.com',
  alarmOkNotifications: 'true',
  keepTables: 'false',
  keepPreviousRunningIndex: 'true',
  ingestReservedConcurrency: '20',
  consumerReservedConcurrency: '24',
  consumerMaxConcurrency: '20',
  tableWarmWritesPerSecond: '5000',
  apiThrottleRate: '50',
  apiThrottleBurst: '80',
  orphanCheckMinutes: '1',
  serverSecretParam: SERVER_SECRET_PARAM,
  zegoApiEndpoint: 'https://rtc-api-sgp.zego.im',
  reconcileAfterMinutes: '5',
  alarmReconcileFailedChecks: '4',
  hookPolicyArns: HOOK_POLICY_ARNS.join(','),
  hookParametersPath: HOOK_PARAMETERS_PATH,
  apiAccessLogs: 'false',
  publishEvents: 'true',
  eventArchiveDays: '7',
  alarmEventPublishFailures: '3',
  ...Object.fromEntries(Object.values(THRESHOLDS).map(([param, , option]) => [param, String(option)])),
};

const ROOT = join(__dirname, '..', '..');

/**
 * `serverless package`, as a user runs it, with no AWS credentials at all, into a new folder.
 * From a copy of the service (scripts/package-apart.sh): in place, osls deletes `.serverless/`.
 */
async function packaged(stage: string, args: string[]) {
  const dir = await mkdtemp(join(tmpdir(), 'zego-package-'));
  const env = { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'none' };
  try {
    await run('bash', [join(ROOT, 'scripts', 'package-apart.sh'), dir, '--stage', stage, ...args], { env });
    const template: Template = JSON.parse(
      await readFile(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'),
    );
    return { dir, template };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * The user's `.serverless/` (from `npm run package`), which packaging must leave alone: its
 * entries with their modification times.
 */
const userPackage = join(ROOT, '.serverless');
export const userPackageListing = async () => {
  const names = await readdir(userPackage);
  return Promise.all(
    names.sort().map(async (name) => `${name} ${(await stat(join(userPackage, name))).mtimeMs}`),
  );
};

/** Run events on an existing bus of the account, by name (stage `ci-bus`). */
export const EXTERNAL_BUS = 'shared-mix-events';

/**
 * The stack packaged once for every file of test/infra (each packaging runs esbuild for three
 * functions): the defaults at stage `ci`, every option on at stage `ci-all` in eu-west-1, and run
 * events on an existing bus at stage `ci-bus`.
 */
export default async function setup(project: TestProject) {
  // A stand-in when the user has no `.serverless/`, removed at the end.
  const standIn = join(userPackage, 'left-alone-by-the-tests');
  const madeStandIn = !existsSync(userPackage);
  if (madeStandIn) {
    await mkdir(userPackage);
    await writeFile(standIn, 'made by test/support/packaged-stacks.ts\n');
  }
  const dirs: string[] = [];
  const teardown = async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    if (madeStandIn) {
      await rm(standIn, { force: true });
      await rmdir(userPackage).catch(() => {}); // not empty: a package of the user's own since
    }
  };
  try {
    const userPackageBefore = await userPackageListing();
    const defaults = await packaged('ci', ['--param', `callbackSecretParam=${CUSTOM_SECRET_PARAM}`]);
    dirs.push(defaults.dir);
    // Another stage, as a second stage in the same account would be.
    const options = await packaged('ci-all', [
      '--region',
      'eu-west-1',
      ...Object.entries(OPTIONS).flatMap(([name, value]) => ['--param', `${name}=${value}`]),
    ]);
    dirs.push(options.dir);
    const externalBus = await packaged('ci-bus', [
      '--param',
      'publishEvents=true',
      '--param',
      `eventBusName=${EXTERNAL_BUS}`,
    ]);
    dirs.push(externalBus.dir);
    project.provide('packagedStacks', {
      template: defaults.template,
      options: options.template,
      externalBus: externalBus.template,
      packageDir: defaults.dir,
      userPackageBefore,
    });
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}

declare module 'vitest' {
  export interface ProvidedContext {
    packagedStacks: {
      /** Stage `ci`, the defaults (but callbackSecretParam). */
      template: Template;
      /** Stage `ci-all` in eu-west-1, every option on (OPTIONS). */
      options: Template;
      /** Stage `ci-bus`: run events on the existing bus EXTERNAL_BUS. */
      externalBus: Template;
      /** Where the `ci` package is: its zips beside its template. */
      packageDir: string;
      /** The user's `.serverless/` before packaging (userPackageListing). */
      userPackageBefore: string[];
    };
  }
}
