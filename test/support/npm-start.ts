import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { PipelineInfo } from '../../tools/local-stack/pipeline';

const root = join(__dirname, '..', '..');

/**
 * `npm start` as a user runs it (`npm start <args>`), in a process group of its own, with a state
 * file of its own; resolved once its banner is out. `zego` runs the CLI against it as a user would,
 * in another process: the same environment, with `cliEnv` on top (another terminal).
 */
export async function startNpmStart(args: string[], env: NodeJS.ProcessEnv, cliEnv: NodeJS.ProcessEnv = {}) {
  const stateFile = join(mkdtempSync(join(tmpdir(), 'zego-e2e-')), 'stack.json');
  const fullEnv = { ...process.env, ZEGO_LOCAL_STATE: stateFile, ...env };
  let output = '';
  const child: ChildProcess = spawn('npm', ['start', ...args], {
    cwd: root,
    env: fullEnv,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const deadline = Date.now() + 40_000;
  while (!existsSync(stateFile) || !output.includes('Ctrl-C stops everything')) {
    if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`npm start did not come up:\n${output}`);
    await sleep(100);
  }
  const info = JSON.parse(readFileSync(stateFile, 'utf8')) as PipelineInfo;
  const pid = child.pid as number;
  return {
    info,
    stateFile,
    pid,
    output: () => output,
    zego: (...argv: string[]) =>
      promisify(execFile)(process.execPath, ['-r', 'tsx/cjs', join(root, 'cli', 'zego.ts'), ...argv], {
        cwd: root,
        env: { ...fullEnv, ...cliEnv },
      }),
    /** True while any process of npm start's group (npm, tsx, node) is alive. */
    alive: () => groupAlive(pid),
    kill: () => {
      if (groupAlive(pid)) process.kill(-pid, 'SIGKILL');
    },
  };
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}
