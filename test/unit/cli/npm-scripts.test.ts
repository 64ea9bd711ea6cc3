import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..', '..');
const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};

/** scripts/deploy.sh as `npm run deploy -- <args>` runs it; it stops before serverless when refusing. */
const deploy = (...args: string[]) =>
  promisify(execFile)('bash', [join(root, 'scripts', 'deploy.sh'), ...args], { cwd: root }).catch(
    (error: { code: number; stdout: string; stderr: string }) => error,
  );

const REFUSAL =
  'npm run deploy: name the stage and the region, e.g. `npm run deploy -- --stage prod --region ap-southeast-1` (options after the --); without them serverless deploys stage dev to us-east-1.\n';

describe('npm run package and npm run deploy', () => {
  it('pass the stage and region the user gives, setting none themselves', () => {
    expect(scripts.package).toBe('bash scripts/package.sh');
    expect(scripts.deploy).toBe('bash scripts/deploy.sh');
  });

  // `--help` makes serverless print its help rather than package: the line before it is the point.
  const packageFor = (...args: string[]) =>
    promisify(execFile)('bash', [join(root, 'scripts', 'package.sh'), ...args, '--help'], { cwd: root });

  it('say which stage and region a package is for, and when that is serverless’s default', async () => {
    expect((await packageFor()).stderr).toContain(
      "npm run package: stage dev, region us-east-1 (serverless's default for what was not given is stage dev, region us-east-1: give --stage and --region)\n",
    );
    expect((await packageFor('--stage', 'prod', '--region=eu-west-1')).stderr).toContain(
      'npm run package: stage prod, region eu-west-1\n',
    );
  }, 60_000);

  it.each([[[]], [['--stage', 'prod']], [['--region', 'eu-west-1']], [['prod', 'eu-west-1']]])(
    'refuse to deploy without a stage and a region (%j), exit code 2',
    async (args) => {
      expect(await deploy(...args)).toMatchObject({ code: 2, stdout: '', stderr: REFUSAL });
    },
  );
});
