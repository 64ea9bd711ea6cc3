import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, vi } from 'vitest';
import type { PipelineInfo } from '../../tools/local-stack/pipeline';

const root = join(__dirname, '..', '..');

export interface NpmStart {
  child: ChildProcess;
  info: PipelineInfo;
  /** Everything npm start has printed so far, stdout and stderr. */
  output: () => string;
  /** The environment it and the CLI run with (its state file, no secret of the caller's). */
  env: NodeJS.ProcessEnv;
  /** Runs `npx zego <args>` as a user would, with that environment. */
  zego: (...args: string[]) => Promise<{ stdout: string; stderr: string; code: number }>;
  /** Ctrl-C to the whole process group (npm, tsx, node); then kills what is left. */
  stop: () => Promise<void>;
}

/**
 * `npm start` as a user runs it, in a process group of its own, on free ports, until its banner is
 * printed.
 */
export async function startNpmStart(extraEnv: Record<string, string> = {}): Promise<NpmStart> {
  const stateFile = join(mkdtempSync(join(tmpdir(), 'zego-npm-start-')), 'stack.json');
  const env = {
    ...process.env,
    ZEGO_LOCAL_STATE: stateFile,
    ZEGO_CALLBACK_SECRET: '',
    PORT: '0',
    SQS_PORT: '0',
    DYNAMODB_PORT: '0',
    ZEGO_API_PORT: '0',
    ...extraEnv,
  };
  const child = spawn('npm', ['start'], {
    cwd: root,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  await vi.waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
      if (!existsSync(stateFile) || !output.includes('Ctrl-C stops everything')) {
        throw new Error(`npm start is not up yet:\n${output}`);
      }
    },
    { timeout: 40_000, interval: 100 },
  );
  const run = promisify(execFile);
  return {
    child,
    info: JSON.parse(readFileSync(stateFile, 'utf8')),
    output: () => output,
    env,
    zego: async (...args) => {
      try {
        const { stdout, stderr } = await run(
          process.execPath,
          ['-r', 'tsx/cjs', join(root, 'cli', 'zego.ts'), ...args],
          {
            cwd: root,
            env,
          },
        );
        return { stdout, stderr, code: 0 };
      } catch (error) {
        const failed = error as { stdout: string; stderr: string; code: number };
        return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
      }
    },
    stop: async () => {
      const pid = child.pid;
      if (!pid || !groupAlive(pid)) return;
      process.kill(-pid, 'SIGINT');
      await vi
        .waitFor(() => expect(groupAlive(pid)).toBe(false), { timeout: 10_000, interval: 50 })
        .catch(() => {
          if (groupAlive(pid)) process.kill(-pid, 'SIGKILL');
        });
    },
  };
}

/** True while any process of the group is alive. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}
