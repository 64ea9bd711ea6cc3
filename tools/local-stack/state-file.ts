import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { localStateFile } from './defaults';
import type { PipelineInfo } from './pipeline';

/**
 * `npm start`'s state file: where its engines are, for the CLI, and the callback secret it checks,
 * so readable by its owner only (0600). Written whole and renamed into place, so the CLI never
 * reads half of it.
 */
export function writeLocalState(info: PipelineInfo, file = localStateFile()): void {
  mkdirSync(dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}`;
  rmSync(partial, { force: true });
  writeFileSync(partial, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  renameSync(partial, file);
}

/** What the running `npm start` wrote, or undefined when none is running. */
export function readLocalState(file = localStateFile()): PipelineInfo | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as PipelineInfo;
}

export function removeLocalState(file = localStateFile()): void {
  rmSync(file, { force: true });
}
