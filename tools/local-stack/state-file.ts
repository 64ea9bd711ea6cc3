import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { localStateFile } from './defaults';
import type { PipelineInfo } from './pipeline';

/**
 * `npm start`'s state file: where its engines are, for the CLI, and the callback secret it checks,
 * so readable by its owner only (0600). Written whole and renamed into place, so the CLI never
 * reads half of it. It names the process that wrote it, so a second `npm start` in the same
 * checkout does not take over the first one's, and only its writer removes it.
 */
interface StateFile extends PipelineInfo {
  ownerPid?: number;
}

function read(file: string): StateFile | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as StateFile;
}

export function writeLocalState(info: PipelineInfo, file = localStateFile(), ownerPid = process.pid): void {
  mkdirSync(dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}`;
  rmSync(partial, { force: true });
  writeFileSync(partial, `${JSON.stringify({ ...info, ownerPid }, null, 2)}\n`, { mode: 0o600 });
  renameSync(partial, file);
}

/** What the running `npm start` wrote, or undefined when none is running. */
export function readLocalState(file = localStateFile()): PipelineInfo | undefined {
  const state = read(file);
  if (!state) return undefined;
  const { ownerPid: _owner, ...info } = state;
  return info;
}

/**
 * The process id of another `npm start` that owns the state file and still runs, or undefined (no
 * file, a file left by a process that is gone, or this process's own).
 */
export function otherLocalStateOwner(file = localStateFile(), self = process.pid): number | undefined {
  const owner = read(file)?.ownerPid;
  if (owner === undefined || owner === self) return undefined;
  try {
    process.kill(owner, 0); // no signal: only asks whether the process exists
    return owner;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? owner : undefined;
  }
}

/** Removes the state file if this process (`ownerPid`) wrote it. */
export function removeLocalState(file = localStateFile(), ownerPid = process.pid): void {
  const state = read(file);
  if (state && state.ownerPid !== undefined && state.ownerPid !== ownerPid) return;
  rmSync(file, { force: true });
}
