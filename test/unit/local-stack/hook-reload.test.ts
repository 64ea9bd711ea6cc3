import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Hooks, MixStartedEvent } from '../../../lib/hook-contract';
import { reloadingHooks } from '../../../tools/local-stack/hook-reload';

// The hooks file as plain CommonJS (tsx compiles lib/hooks.ts the same way under npm start).
const hooksFile = (says: string) => `
  const calls = [];
  module.exports.calls = calls;
  module.exports.hooks = {
    onMixStarted: async () => { calls.push(${JSON.stringify(says)}); },
    onMixStopped: async () => {},
    onMixOrphaned: async () => {},
  };
`;
const requireFresh = (file: string): Hooks => {
  const load = createRequire(file);
  delete load.cache[file];
  const loaded = load(file) as { hooks?: Hooks };
  if (!loaded.hooks) throw new Error('it exports no `hooks`');
  return loaded.hooks;
};
const lastCall = (file: string) => (createRequire(file)(file) as { calls: string[] }).calls.at(-1);
const event = {} as MixStartedEvent;
const context = {} as Parameters<Hooks['onMixStarted']>[1];

let close: (() => void) | undefined;
afterEach(() => close?.());

describe('npm start’s hooks, loaded again when their file changes', () => {
  it('calls the new version after a save, and keeps the old one when the new one does not load', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'zego-hooks-')), 'hooks.cjs');
    writeFileSync(file, hooksFile('first'));
    const log = vi.fn();
    const running = reloadingHooks(file, { load: requireFresh, log });
    close = running.close;

    await running.hooks.onMixStarted(event, context);
    expect(lastCall(file)).toBe('first');

    writeFileSync(file, hooksFile('fixed'));
    await vi.waitFor(() => expect(running.reloads()).toBe(1), { timeout: 10_000 });
    await running.hooks.onMixStarted(event, context);
    expect(lastCall(file)).toBe('fixed');

    writeFileSync(file, 'module.exports.hooks = {'); // a save half-way through an edit
    await vi.waitFor(() => expect(log).toHaveBeenCalledWith(expect.stringContaining('does not load')), {
      timeout: 10_000,
    });
    expect(running.reloads()).toBe(1);
    await running.hooks.onMixStarted(event, context); // still the fixed version, which loaded
    expect(log).toHaveBeenCalledWith(expect.stringContaining('its hooks take the next delivery'));
  });

  it('calls no onMixUpdated when the file has none, as the consumer does', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'zego-hooks-')), 'hooks.cjs');
    writeFileSync(file, hooksFile('x'));
    const running = reloadingHooks(file, { load: requireFresh, log: () => {} });
    close = running.close;
    await expect(running.hooks.onMixUpdated?.(event, context)).resolves.toBeUndefined();
  });
});
