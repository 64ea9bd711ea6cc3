import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * serverless.yml as `serverless print` resolves it (params, variables, files; CloudFormation
 * intrinsics kept as JSON), so local runs and tests build exactly the deployed definitions. Printing
 * takes ~2 s; the result is kept in `.local/` under a hash of the files it depends on.
 */
export interface StackDefinition {
  custom?: Record<string, unknown>;
  provider: { environment?: Record<string, unknown> };
  functions: Record<string, { environment?: Record<string, unknown> }>;
  resources: {
    Conditions?: Record<string, unknown>;
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    extensions?: Record<string, { Properties?: Record<string, unknown> }>;
  };
}

const ROOT = join(__dirname, '..', '..');
const INPUTS = ['serverless.yml', 'scripts/stack-params.cjs', 'package-lock.json'];

let printed: StackDefinition | undefined;

export function readStack(): StackDefinition {
  if (printed) return printed;
  const hash = createHash('sha256');
  for (const file of INPUTS) hash.update(readFileSync(join(ROOT, file)));
  const cache = join(ROOT, '.local', `stack-${hash.digest('hex').slice(0, 16)}.json`);
  if (!existsSync(cache)) {
    const json = execFileSync(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js'),
        'print',
        '--format',
        'json',
        '--stage',
        'local',
      ],
      {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' },
      },
    );
    mkdirSync(join(ROOT, '.local'), { recursive: true });
    // Written whole, then renamed: test files print in parallel and must never read half a file.
    const partial = `${cache}.${process.pid}`;
    writeFileSync(partial, json);
    renameSync(partial, cache);
  }
  printed = JSON.parse(readFileSync(cache, 'utf8')) as StackDefinition;
  return printed;
}
