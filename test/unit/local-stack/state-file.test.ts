import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PipelineInfo } from '../../../tools/local-stack/pipeline';
import {
  otherLocalStateOwner,
  readLocalState,
  removeLocalState,
  writeLocalState,
} from '../../../tools/local-stack/state-file';

const info = { callbackUrl: 'http://localhost:3000/zego/callback', secret: 's3cret' } as PipelineInfo;
const fileIn = (dir = mkdtempSync(join(tmpdir(), 'zego-state-'))) => join(dir, 'nested', 'stack.json');
const mode = (file: string) => statSync(file).mode & 0o777;

describe("npm start's state file", () => {
  it('is readable by its owner only: it holds the callback secret', () => {
    const file = fileIn();
    writeLocalState(info, file);
    expect(mode(file)).toBe(0o600);
    expect(readLocalState(file)).toEqual(info);
  });

  it('replaces a world-readable one left by an older run with an owner-only one', () => {
    const file = fileIn();
    writeLocalState(info, file);
    chmodSync(file, 0o644);
    writeLocalState({ ...info, secret: 'new' }, file);
    expect(mode(file)).toBe(0o600);
    expect(readLocalState(file)?.secret).toBe('new');
  });

  it('reads as none once removed, or where none was written', () => {
    const file = fileIn();
    writeLocalState(info, file);
    removeLocalState(file);
    expect(readLocalState(file)).toBeUndefined();
    expect(readLocalState(join(tmpdir(), 'no-such-dir', 'stack.json'))).toBeUndefined();
  });

  it('never leaves its partial file behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zego-state-'));
    const file = join(dir, 'stack.json');
    writeFileSync(`${file}.${process.pid}`, 'left by a crash');
    writeLocalState(info, file);
    expect(readLocalState(file)).toEqual(info);
    expect(() => statSync(`${file}.${process.pid}`)).toThrow(/ENOENT/);
  });

  // A process that surely runs (this test's parent) and one that surely does not (exited).
  const running = process.ppid;
  const gone = spawnSync(process.execPath, ['-e', '']).pid ?? 0;

  it('names another npm start that still runs and owns it, so a second one does not take it over', () => {
    const file = fileIn();
    writeLocalState(info, file, running);
    expect(otherLocalStateOwner(file)).toBe(running);
    expect(otherLocalStateOwner(file, running)).toBeUndefined(); // its own
    writeLocalState(info, file, gone);
    expect(otherLocalStateOwner(file)).toBeUndefined(); // left by a process that is gone
    expect(otherLocalStateOwner(join(tmpdir(), 'no-such-dir', 'stack.json'))).toBeUndefined();
  });

  it('is removed only by the process that wrote it', () => {
    const file = fileIn();
    writeLocalState(info, file, running);
    removeLocalState(file);
    expect(readLocalState(file)).toEqual(info);
    removeLocalState(file, running);
    expect(readLocalState(file)).toBeUndefined();
  });
});
