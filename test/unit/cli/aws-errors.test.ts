import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NO_CREDENTIALS, NO_REGION, resolveRegion } from '../../../cli/aws';
import { zego } from './run-zego';

const NOWHERE = join(__dirname, 'no-such-aws-dir');

/** A shell with no AWS settings at all: no keys, no profile files, no instance metadata. */
function noAwsSettings() {
  for (const name of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'AWS_DEFAULT_PROFILE',
    'AWS_REGION',
    'AWS_DEFAULT_REGION',
    'AWS_WEB_IDENTITY_TOKEN_FILE',
    'AWS_ROLE_ARN',
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  ])
    vi.stubEnv(name, undefined);
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(NOWHERE, 'credentials'));
  vi.stubEnv('AWS_CONFIG_FILE', join(NOWHERE, 'config'));
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
}

beforeEach(noAwsSettings);
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('a command on a deployed stage without credentials', () => {
  it.each([
    ['smoke', '--stage', 'prod', '--region', 'ap-southeast-1'],
    ['dlq', '--stage', 'prod', '--region', 'ap-southeast-1'],
    ['dlq', 'redrive', '--stage', 'prod', '--region', 'ap-southeast-1'],
    ['tasks', '--status', 'running', '--stage', 'prod', '--region', 'ap-southeast-1'],
    ['task', 'demo-1', '--appid', '111111', '--stage', 'prod', '--region', 'ap-southeast-1'],
    ['backfill-running-index', '--stage', 'prod', '--region', 'ap-southeast-1'],
  ])('says in one sentence that there are none and how to set them: zego %s', async (...argv) => {
    expect(await zego(...argv)).toEqual({
      code: 1,
      stdout: '',
      stderr: `zego ${argv[0]}: ${NO_CREDENTIALS}`,
    });
  });
});

describe('a command on a deployed stage without a region', () => {
  it.each([
    ['smoke', '--stage', 'prod'],
    ['dlq', '--stage', 'prod'],
    ['tasks', '--status', 'running', '--stage', 'prod'],
    ['task', 'demo-1', '--appid', '111111', '--stage', 'prod'],
    ['backfill-running-index', '--stage', 'prod'],
  ])('says to give --region, not "Region is missing": zego %s', async (...argv) => {
    expect(await zego(...argv)).toEqual({ code: 1, stdout: '', stderr: `zego ${argv[0]}: ${NO_REGION}` });
  });
});

describe('the region of a deployed stage', () => {
  it('is --region first, then AWS_REGION, then AWS_DEFAULT_REGION, and says where it came from', async () => {
    const env = { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-west-2' };
    expect(await resolveRegion('ap-southeast-1', env)).toEqual({
      region: 'ap-southeast-1',
      source: '--region',
    });
    expect(await resolveRegion(undefined, env)).toEqual({ region: 'eu-west-1', source: 'AWS_REGION' });
    expect(await resolveRegion(undefined, { AWS_DEFAULT_REGION: 'us-west-2' })).toEqual({
      region: 'us-west-2',
      source: 'AWS_DEFAULT_REGION',
    });
  });

  it("is the profile's region, as the SDK reads ~/.aws/config, without either", async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const config = join(mkdtempSync(join(tmpdir(), 'zego-aws-')), 'config');
    writeFileSync(config, '[default]\nregion = ca-central-1\n');
    vi.stubEnv('AWS_CONFIG_FILE', config);
    expect(await resolveRegion(undefined, {})).toEqual({
      region: 'ca-central-1',
      source: 'your AWS profile',
    });
  });
});

describe('what AWS answers a command on a stage', () => {
  // Created per test: a mock made when the file loads would answer the other tests' calls too.
  let cloudformation: ReturnType<typeof mockClient>;
  beforeEach(() => {
    cloudformation = mockClient(CloudFormationClient);
  });
  afterEach(() => {
    cloudformation.restore();
  });

  it.each([
    [
      'ExpiredToken',
      'The security token included in the request is expired',
      /have expired or are not valid; refresh them/,
    ],
    [
      'AccessDenied',
      'User: arn:aws:iam::123456789012:user/dev is not authorized to perform: cloudformation:DescribeStacks',
      /is not authorized to perform: cloudformation:DescribeStacks; give these credentials that permission/,
    ],
  ])('names credentials AWS refuses, with the next step (%s)', async (name, message, sentence) => {
    cloudformation.on(DescribeStacksCommand).rejects(Object.assign(new Error(message), { name }));
    const { code, stderr } = await zego('smoke', '--stage', 'prod', '--region', 'ap-southeast-1');
    expect(code).toBe(1);
    expect(stderr).toMatch(sentence);
    expect(stderr.split('\n')).toHaveLength(1);
  });

  it('says smoke found no stack, and how to deploy it', async () => {
    cloudformation.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('Stack with id zego-mix-callbacks-prod does not exist'), {
        name: 'ValidationError',
      }),
    );
    expect(await zego('smoke', '--stage', 'prod', '--region', 'ap-southeast-1')).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'zego smoke: stack zego-mix-callbacks-prod not found in ap-southeast-1: deploy it first (`npx serverless deploy --stage prod --region ap-southeast-1`), or check --stage and --region',
    });
  });
});
